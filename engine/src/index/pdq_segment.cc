#include "index/pdq_segment.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "index/hamming_kernels.h"

namespace hashwatch {
namespace {

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  const unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

// A new code's id and its position in the caller's arrays.
struct IdPosition {
  int64_t id;
  uint32_t position;
  friend bool operator<(const IdPosition& a, const IdPosition& b) {
    return a.id < b.id || (a.id == b.id && a.position < b.position);
  }
};

// std::sort on `threads` slices at once, then pairwise merges (the build
// runs on the caller's thread plus threads of its own, joined here).
void SortInParallel(IdPosition* v, size_t n, int threads) {
  const size_t slices = std::clamp<size_t>(threads, 1, n / 65536 + 1);
  std::vector<size_t> bounds;
  for (size_t s = 0; s <= slices; ++s) bounds.push_back(n * s / slices);
  std::vector<std::thread> pool;
  try {
    for (size_t s = 1; s < slices; ++s) {
      pool.emplace_back([v, &bounds, s] { std::sort(v + bounds[s], v + bounds[s + 1]); });
    }
  } catch (...) {  // std::system_error: no thread; join the ones started
    for (std::thread& t : pool) t.join();
    throw;
  }
  std::sort(v, v + bounds[1]);
  for (std::thread& t : pool) t.join();
  for (size_t width = 1; width < slices; width *= 2) {
    for (size_t s = 0; s + width < slices; s += 2 * width) {
      const size_t end = std::min(s + 2 * width, slices);
      std::inplace_merge(v + bounds[s], v + bounds[s + width], v + bounds[end]);
    }
  }
}

}  // namespace

PdqSegment::PdqSegment(size_t rows)
    : rows_(rows),
      ids_(rows, /*huge=*/false),  // read only for hits and removals
      codes_(rows * kPdqCodeBytes),
      tombstones_(rows) {}

std::unique_ptr<PdqSegment> PdqSegment::Build(const PdqSegment* previous,
                                              absl::Span<const int64_t> ids,
                                              absl::Span<const uint8_t> codes,
                                              const PdqIndexOptions& options) {
  // The new rows in id order (skip the sort for input that already is,
  // such as a catalog read ORDER BY id). Sorting (id, position) pairs keeps
  // the comparisons on contiguous memory and equal ids in input order.
  const int threads = ResolveThreads(options.build_threads);
  const bool sorted = std::is_sorted(ids.begin(), ids.end());
  HugePageArray<IdPosition> order(sorted ? 0 : ids.size(), /*huge=*/false);
  if (!sorted) {
    for (size_t k = 0; k < ids.size(); ++k) {
      order[k] = {ids[k], static_cast<uint32_t>(k)};
    }
    SortInParallel(order.data(), order.size(), threads);
  }
  auto new_id = [&](size_t k) { return sorted ? ids[k] : order[k].id; };
  auto new_code = [&](size_t k) {
    return codes.data() + kPdqCodeBytes * (sorted ? k : order[k].position);
  };

  const size_t old_rows = previous ? previous->rows_ : 0;
  const size_t rows = (previous ? previous->live_rows() : 0) + ids.size();
  auto seg = std::unique_ptr<PdqSegment>(new PdqSegment(rows));

  // Merge the live old rows (already ascending) with the new ones; on equal
  // ids the old rows come first. New codes are random reads: prefetch them.
  constexpr size_t kPrefetchAhead = 16;
  size_t i = 0, k = 0, out = 0;
  auto skip_removed = [&] {
    while (i < old_rows && previous->tombstones_.Contains(i)) ++i;
  };
  skip_removed();
  while (i < old_rows || k < ids.size()) {
    if (k + kPrefetchAhead < ids.size()) {
      __builtin_prefetch(new_code(k + kPrefetchAhead));
    }
    const bool take_old = i < old_rows && (k == ids.size() || previous->ids_[i] <= new_id(k));
    seg->ids_[out] = take_old ? previous->ids_[i] : new_id(k);
    std::memcpy(seg->codes_.data() + kPdqCodeBytes * out,
                take_old ? previous->codes_.data() + kPdqCodeBytes * i : new_code(k),
                kPdqCodeBytes);
    ++out;
    if (take_old) {
      ++i;
      skip_removed();
    } else {
      ++k;
    }
  }

  const size_t min_size =
      options.multi_index_min_size != 0 ? options.multi_index_min_size : kDefaultMultiIndexMinSize;
  if (rows >= min_size) {
    const MultiIndexPlan plan = options.substrings != 0
                                    ? MultiIndexPlan::WithSubstrings(options.substrings)
                                    : MultiIndexPlan::ForSize(rows);
    seg->mih_ = MultiIndexTable::Build(seg->codes_.data(), rows, plan, threads);
  }
  return seg;
}

void PdqSegment::Search(const uint8_t* query, int max_distance, std::vector<IndexHit>* out) const {
  if (max_distance < 0 || rows_ == 0) return;
  thread_local std::vector<uint32_t> candidates;
  thread_local std::vector<RowDistance> found;
  found.clear();
  const HammingKernels& kernels = BestHammingKernels();
  if (mih_ && max_distance <= kPdqMatchRadius) {
    candidates.clear();
    mih_->CollectCandidates(query, max_distance, &candidates);
    kernels.verify(query, codes_.data(), candidates.data(), candidates.size(), max_distance,
                   &found);
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

bool PdqSegment::FindCode(int64_t id, uint8_t* out32) const {
  const int64_t* begin = ids_.data();
  const auto [lo, hi] = std::equal_range(begin, begin + rows_, id);
  for (const int64_t* p = lo; p != hi; ++p) {
    const size_t row = static_cast<size_t>(p - begin);
    if (tombstones_.Contains(row)) continue;
    std::memcpy(out32, codes_.data() + row * kPdqCodeBytes, kPdqCodeBytes);
    return true;
  }
  return false;
}

size_t PdqSegment::MemoryBytes() const {
  return sizeof(*this) + ids_.mapped_bytes() + codes_.mapped_bytes() + tombstones_.MemoryBytes() +
         (mih_ ? mih_->MemoryBytes() : 0);
}

}  // namespace hashwatch
