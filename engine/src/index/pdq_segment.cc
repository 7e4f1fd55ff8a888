#include "index/pdq_segment.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <thread>
#include <chrono>
#include <cstdio>

#include "index/hamming_kernels.h"

namespace hashwatch {
namespace {

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

}  // namespace

PdqSegment::PdqSegment(size_t rows)
    : rows_(rows),
      ids_(rows),
      codes_(rows * kPdqCodeBytes),
      tombstones_(rows) {}

std::unique_ptr<PdqSegment> PdqSegment::Build(const PdqSegment* previous,
                                              absl::Span<const int64_t> ids,
                                              absl::Span<const uint8_t> codes,
                                              const PdqIndexOptions& options) {
  // The new rows in id order (skip the sort for input that already is,
  // such as a catalog read ORDER BY id). Sorting (id, position) pairs keeps
  // the comparisons on contiguous memory and equal ids in input order.
  auto T0 = std::chrono::steady_clock::now();
  std::vector<std::pair<int64_t, uint32_t>> order;
  const bool sorted = std::is_sorted(ids.begin(), ids.end());
  if (!sorted) {
    order.resize(ids.size());
    for (size_t k = 0; k < ids.size(); ++k) {
      order[k] = {ids[k], static_cast<uint32_t>(k)};
    }
    std::sort(order.begin(), order.end());
  }
  auto new_row = [&](size_t k) -> size_t {
    return sorted ? k : order[k].second;
  };

  const size_t old_rows = previous ? previous->rows_ : 0;
  const size_t rows =
      (previous ? previous->live_rows() : 0) + ids.size();
  auto seg = std::unique_ptr<PdqSegment>(new PdqSegment(rows));

  // Merge the live old rows (already ascending) with the new ones; on equal
  // ids the old rows come first.
  size_t i = 0, k = 0, out = 0;
  auto skip_removed = [&] {
    while (i < old_rows && previous->tombstones_.Contains(i)) ++i;
  };
  skip_removed();
  while (i < old_rows || k < ids.size()) {
    const bool take_old =
        i < old_rows &&
        (k == ids.size() || previous->ids_[i] <= ids[new_row(k)]);
    const int64_t id = take_old ? previous->ids_[i] : ids[new_row(k)];
    const uint8_t* code = take_old
                              ? previous->codes_.data() + kPdqCodeBytes * i
                              : codes.data() + kPdqCodeBytes * new_row(k);
    seg->ids_[out] = id;
    std::memcpy(seg->codes_.data() + kPdqCodeBytes * out, code, kPdqCodeBytes);
    ++out;
    if (take_old) {
      ++i;
      skip_removed();
    } else {
      ++k;
    }
  }

  auto T1 = std::chrono::steady_clock::now();
  fprintf(stderr, "sort+merge %.2f s\n", std::chrono::duration<double>(T1-T0).count());
  const size_t min_size = options.multi_index_min_size != 0
                              ? options.multi_index_min_size
                              : kDefaultMultiIndexMinSize;
  if (rows >= min_size) {
    const MultiIndexPlan plan =
        options.substrings != 0
            ? MultiIndexPlan::WithSubstrings(options.substrings)
            : MultiIndexPlan::ForSize(rows);
    seg->mih_ = MultiIndexTable::Build(seg->codes_.data(), rows, plan,
                                       ResolveThreads(options.build_threads));
  }
  fprintf(stderr, "mih %.2f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now()-T1).count());
  return seg;
}

void PdqSegment::Search(const uint8_t* query, int max_distance,
                        std::vector<IndexHit>* out) const {
  if (max_distance < 0 || rows_ == 0) return;
  thread_local std::vector<uint32_t> candidates;
  thread_local std::vector<RowDistance> found;
  found.clear();
  const HammingKernels& kernels = BestHammingKernels();
  if (mih_ && max_distance <= kPdqMatchRadius) {
    candidates.clear();
    mih_->CollectCandidates(query, max_distance, &candidates);
    kernels.verify(query, codes_.data(), candidates.data(), candidates.size(),
                   max_distance, &found);
  } else {
    kernels.scan(query, codes_.data(), rows_, max_distance, &found);
  }
  for (const RowDistance& f : found) {
    if (!tombstones_.Contains(f.row)) out->push_back({ids_[f.row], f.distance});
  }
}

size_t PdqSegment::Remove(absl::Span<const int64_t> sorted_ids) {
  size_t removed = 0;
  const int64_t* begin = ids_.data();
  const int64_t* end = begin + rows_;
  for (const int64_t id : sorted_ids) {
    const auto [lo, hi] = std::equal_range(begin, end, id);
    for (const int64_t* p = lo; p != hi; ++p) {
      if (tombstones_.Insert(static_cast<size_t>(p - ids_.data()))) ++removed;
    }
    begin = hi;  // ids ascend: later ids are not before this one
  }
  return removed;
}

size_t PdqSegment::MemoryBytes() const {
  return sizeof(*this) + ids_.mapped_bytes() + codes_.mapped_bytes() +
         tombstones_.MemoryBytes() + (mih_ ? mih_->MemoryBytes() : 0);
}

}  // namespace hashwatch
