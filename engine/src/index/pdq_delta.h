// The small, append-only part of a PdqIndex: codes added since the last
// merge, scanned linearly by every search, plus tombstones for those removed.
//
// Capacity is fixed at construction so that the arrays never move: a writer
// fills row `size()` and then publishes the new size (release); a reader
// loads the size (acquire) and scans that prefix. No lock on the read path.
//
// Thread safety: Search, size, live_size and MemoryBytes may run from any
// number of threads, concurrently with one writer. Append, Remove and
// AppendLiveTo must be serialised by the caller (PdqIndex's writer lock).
#ifndef HASHWATCH_INDEX_PDQ_DELTA_H_
#define HASHWATCH_INDEX_PDQ_DELTA_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "index/index_hit.h"
#include "index/tombstone_set.h"

namespace hashwatch {

class PdqDelta {
 public:
  explicit PdqDelta(size_t capacity);

  size_t capacity() const { return capacity_; }
  // Rows published so far, including removed ones.
  size_t size() const { return size_.load(std::memory_order_acquire); }
  size_t live_size() const { return size() - tombstones_.count(); }

  // Writer only. Requires size() + ids.size() <= capacity() and
  // codes.size() == 32 * ids.size().
  void Append(absl::Span<const int64_t> ids, absl::Span<const uint8_t> codes);
  // Writer only. Marks every row of each id removed; `sorted_ids` ascending.
  // Returns the number of rows newly removed.
  size_t Remove(absl::Span<const int64_t> sorted_ids);
  // Writer only. Appends the live rows to *ids and *codes (for a merge).
  void AppendLiveTo(std::vector<int64_t>* ids, std::vector<uint8_t>* codes) const;

  // Copies the code of a live row of `id` to out32; false when there is
  // none. A linear scan (the delta is small).
  bool FindCode(int64_t id, uint8_t* out32) const;

  // Appends {id, distance} for every live row within max_distance.
  void Search(const uint8_t* query, int max_distance, std::vector<IndexHit>* out) const;

  size_t MemoryBytes() const;

 private:
  const size_t capacity_;
  std::unique_ptr<int64_t[]> ids_;
  std::unique_ptr<uint8_t[]> codes_;
  TombstoneSet tombstones_;
  std::atomic<size_t> size_{0};
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_PDQ_DELTA_H_
