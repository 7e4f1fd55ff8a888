// The static part of multi-index hashing: one table per substring of a
// MultiIndexPlan over a fixed array of 32-byte codes, returning candidate rows
// for a radius search. It never verifies distances (see HammingKernels).
//
// Layout per substring table (CSR, no per-bucket containers):
//   dir:     2^dir_bits + 1 uint32 offsets into `entries`, addressed by the
//            top dir_bits bits of the substring key;
//   entries: n uint32, grouped by those top bits, each packing the key's low
//            suffix_bits bits above the row number: (suffix << row_bits) | row.
// Memory: 4 bytes per code per substring plus 4 * 2^dir_bits per substring;
// dir_bits = floor(log2 n) - kDirShift keeps the directory at 1/4..1/2 of
// that.
// A probe reads one directory line and one entries line; the suffix filters
// entries without touching the code.
//
// Thread safety: immutable after Build; CollectCandidates is safe from many
// threads (scratch space is thread-local).
#ifndef HASHWATCH_INDEX_MULTI_INDEX_TABLE_H_
#define HASHWATCH_INDEX_MULTI_INDEX_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/huge_page_array.h"
#include "index/multi_index_plan.h"

namespace hashwatch {

class MultiIndexTable {
 public:
  // dir_bits = floor(log2 n) - kDirShift: buckets average 2^kDirShift to
  // 2^(kDirShift+1) codes. Measured at 10M codes, m = 11, 2 threads
  // (docs/benchmarks.md): shift 0/1/2/3 gave 9460/8352/7238/6187 queries/s
  // at 125.8/107.3/98.1/93.5 bytes per code. 1 keeps a wide margin on both
  // the 5,000 queries/s and the 150 bytes per code targets.
  static constexpr int kDirShift = 1;

  MultiIndexTable() = default;
  MultiIndexTable(MultiIndexTable&&) = default;
  MultiIndexTable& operator=(MultiIndexTable&&) = default;

  // Indexes codes[0, n) (32 bytes each, n < 2^31; the caller keeps them).
  // Builds up to `threads` substring tables at a time (threads of its own,
  // joined before it returns; each needs 8 bytes per code of scratch).
  // Throws std::bad_alloc.
  static MultiIndexTable Build(const uint8_t* codes, size_t n, const MultiIndexPlan& plan,
                               int threads);

  // Appends to *rows every row whose code is within `radius` of `query`
  // (0 <= radius <= kPdqMatchRadius), at least once, plus other rows that
  // share a near substring. Order unspecified; duplicates possible.
  void CollectCandidates(const uint8_t* query, int radius, std::vector<uint32_t>* rows) const;

  size_t size() const { return n_; }
  const MultiIndexPlan& plan() const { return plan_; }
  // Bytes of the directories and entries (the codes are the caller's).
  size_t MemoryBytes() const;

 private:
  struct Table {
    int dir_bits = 0;
    int suffix_bits = 0;
    HugePageArray<uint32_t> dir;
    HugePageArray<uint32_t> entries;
  };

  void BuildTable(const uint8_t* codes, int i, HugePageArray<uint64_t>* staging);

  MultiIndexPlan plan_;
  size_t n_ = 0;
  int row_bits_ = 1;
  std::vector<Table> tables_;
  // thresholds_[r][i]: the t_i of substring i for radius r.
  std::vector<std::vector<int>> thresholds_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_MULTI_INDEX_TABLE_H_
