// The main, rebuilt-on-merge part of a PdqIndex: codes and ids ordered by id,
// multi-index hash tables over them when there are enough codes, and
// tombstones for rows removed since the build.
//
// Rows are ordered by id so that removing an id is a binary search (no
// id -> row map), and so that a merge is a linear merge of sorted runs.
// Memory per code: 32 (code) + 8 (id) + 1/8 (tombstone) bytes, plus the
// multi-index tables (MultiIndexTable: 4 bytes per substring + directory).
//
// Thread safety: Search and the accessors may run from any number
// of threads, concurrently with Remove; Remove calls must be serialised by
// the caller (PdqIndex's writer lock). Everything but the tombstones is
// immutable after Build.
#ifndef HASHWATCH_INDEX_PDQ_SEGMENT_H_
#define HASHWATCH_INDEX_PDQ_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/types/span.h"
#include "index/huge_page_array.h"
#include "index/index_hit.h"
#include "index/multi_index_table.h"
#include "index/pdq_index_options.h"
#include "index/tombstone_set.h"

namespace hashwatch {

// Flat scan vs multi-index hashing crossover at radius 31, measured on the
// 2-core reference machine with `hashwatch-bench search --flat` and
// `--multi-index` (docs/benchmarks.md), microseconds per query:
//   n       4096  8192  16384  32768
//   flat     5.7  11.0   21.7   45.3
//   MIH      6.9   7.5    8.4   10.8
inline constexpr size_t kDefaultMultiIndexMinSize = 8192;

class PdqSegment {
 public:
  // Most rows a segment holds (rows are uint32 in the multi-index tables).
  static constexpr size_t kMaxRows = (size_t{1} << 31) - 1;

  // A segment of the live rows of `previous` (may be null) plus the given
  // codes (32 bytes per id, any id order; ids may repeat). The total must
  // not exceed kMaxRows. Throws std::bad_alloc when out of memory.
  static std::unique_ptr<PdqSegment> Build(const PdqSegment* previous,
                                           absl::Span<const int64_t> ids,
                                           absl::Span<const uint8_t> codes,
                                           const PdqIndexOptions& options);

  // Appends {id, distance} for every live row within max_distance of the
  // query. An id may appear more than once (see CanonicalizeHits).
  void Search(const uint8_t* query, int max_distance, std::vector<IndexHit>* out) const;

  // Copies the code of a live row of `id` to out32 (the first, when it has
  // several); false when there is none. Binary search over the ids.
  bool FindCode(int64_t id, uint8_t* out32) const;

  // Marks every row of each id removed. `sorted_ids` ascending. Returns the
  // number of rows newly removed. Serialised by the caller.
  size_t Remove(absl::Span<const int64_t> sorted_ids);

  // Rows, including removed ones.
  size_t rows() const { return rows_; }
  size_t live_rows() const { return rows_ - tombstones_.count(); }
  size_t removed_rows() const { return tombstones_.count(); }
  bool has_multi_index() const { return mih_.has_value(); }
  const MultiIndexTable* multi_index() const { return mih_ ? &*mih_ : nullptr; }
  size_t MemoryBytes() const;

 private:
  explicit PdqSegment(size_t rows);

  size_t rows_ = 0;
  HugePageArray<int64_t> ids_;    // ascending
  HugePageArray<uint8_t> codes_;  // 32 bytes per row
  TombstoneSet tombstones_;
  std::optional<MultiIndexTable> mih_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_PDQ_SEGMENT_H_
