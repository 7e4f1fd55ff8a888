// PdqIndex: exact Hamming radius search over 256-bit PDQ hashes with int64
// ids, kept in step with enrolment (Add) and withdrawal (Remove) while other
// threads search. This is the engine's index of PDQ signals; the catalog
// owns one and feeds it.
//
// Contract:
// - A code is 32 bytes in the engine's canonical order (the order of the
//   hash's hex string); any fixed order gives the same distances.
// - An id may be added with several codes (e.g. an item's dihedral
//   variants); a search reports each id once, at its smallest distance.
//   Remove(id) removes every code of that id. Adding an id again after
//   removing it works as a fresh add.
// - RangeSearch returns every live id within max_distance (inclusive) of the
//   query, exactly: no approximation at any radius. Radii up to 31 (PDQ's
//   match threshold) use multi-index hashing once the index is large;
//   larger radii fall back to a flat scan (correct, O(n)).
//
// Structure (docs/benchmarks.md "PDQ index search" has the numbers): a main
// PdqSegment (codes sorted by id + multi-index hash tables, rebuilt on
// merge) plus a PdqDelta (recent additions, scanned linearly) plus
// tombstones in both. When an Add does not fit the delta, main, delta and
// the new codes are merged into a new main segment on the calling thread
// (using options.build_threads threads); searches continue on the old one
// meanwhile and switch atomically when it is published. At 10M codes a merge
// takes ~4.5 s on 2 cores and, briefly, twice the memory.
//
// Thread safety: every method may be called from any number of threads at
// once. Searches never wait for writers except to copy a shared_ptr. Add,
// Remove and Compact are serialised inside the index (a writer mutex); a
// search sees each Add or Remove either entirely or not at all per code,
// and sees every Add/Remove that returned before the search began.
#ifndef HASHWATCH_INDEX_PDQ_INDEX_H_
#define HASHWATCH_INDEX_PDQ_INDEX_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "index/index_hit.h"
#include "index/pdq_index_options.h"

namespace hashwatch {

class PdqDelta;
class PdqSegment;

class PdqIndex {
 public:
  explicit PdqIndex(PdqIndexOptions options = {});
  ~PdqIndex();
  PdqIndex(const PdqIndex&) = delete;
  PdqIndex& operator=(const PdqIndex&) = delete;

  // Adds codes[32*i, 32*i+32) under ids[i]. InvalidArgument if
  // codes.size() != 32 * ids.size() or the index would exceed 2^31 - 1
  // codes; ResourceExhausted if memory runs out (the index is unchanged).
  absl::Status Add(absl::Span<const int64_t> ids, absl::Span<const uint8_t> codes);

  // Removes every code of each id (unknown ids are ignored). Returns the
  // number of codes removed.
  size_t Remove(absl::Span<const int64_t> ids);

  // Every live id within max_distance (inclusive; exact for any radius) of
  // the 32-byte query, nearest first, ties by ascending id. Empty for
  // max_distance < 0.
  std::vector<IndexHit> RangeSearch(const uint8_t* query32, int max_distance) const;

  // Copies a live code of `id` to out32 (32 bytes); false when the id has
  // none. For comparing a query with known codes directly (the match stage's
  // span extension). O(log n).
  bool FindCode(int64_t id, uint8_t* out32) const;

  // Merges the delta and drops removed codes now (otherwise automatic).
  absl::Status Compact();

  // Live codes.
  size_t size() const { return live_.load(std::memory_order_acquire); }
  // Bytes held by the current structures (not counting a search's scratch).
  size_t MemoryBytes() const;

  // For benchmarks and tests: whether the main structure uses multi-index
  // hashing, and with how many substrings (0 when it is a flat scan).
  int multi_index_substrings() const;

 private:
  struct State;

  std::shared_ptr<const State> Snapshot() const;
  size_t DeltaCapacity(size_t main_rows) const;
  // Writer lock held. Builds a new main segment from the current one, the
  // live delta and `ids`/`codes`, and publishes it with an empty delta.
  absl::Status MergeLocked(absl::Span<const int64_t> ids, absl::Span<const uint8_t> codes);

  const PdqIndexOptions options_;
  std::mutex writer_mu_;            // serialises Add, Remove, Compact
  mutable std::mutex snapshot_mu_;  // guards state_ (the pointer only)
  std::shared_ptr<const State> state_;
  std::atomic<size_t> live_{0};
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_PDQ_INDEX_H_
