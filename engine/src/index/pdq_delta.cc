#include "index/pdq_delta.h"

#include <algorithm>
#include <cstring>

#include "index/hamming_kernels.h"

namespace hashwatch {

PdqDelta::PdqDelta(size_t capacity)
    : capacity_(capacity),
      ids_(new int64_t[capacity]()),
      codes_(new uint8_t[capacity * kPdqCodeBytes]()),
      tombstones_(capacity) {}

void PdqDelta::Append(absl::Span<const int64_t> ids, absl::Span<const uint8_t> codes) {
  const size_t start = size_.load(std::memory_order_relaxed);
  std::copy(ids.begin(), ids.end(), ids_.get() + start);
  std::memcpy(codes_.get() + kPdqCodeBytes * start, codes.data(), codes.size());
  size_.store(start + ids.size(), std::memory_order_release);
}

size_t PdqDelta::Remove(absl::Span<const int64_t> sorted_ids) {
  size_t removed = 0;
  const size_t n = size_.load(std::memory_order_relaxed);
  for (size_t row = 0; row < n; ++row) {
    if (std::binary_search(sorted_ids.begin(), sorted_ids.end(), ids_[row]) &&
        tombstones_.Insert(row)) {
      ++removed;
    }
  }
  return removed;
}

void PdqDelta::AppendLiveTo(std::vector<int64_t>* ids, std::vector<uint8_t>* codes) const {
  const size_t n = size_.load(std::memory_order_relaxed);
  for (size_t row = 0; row < n; ++row) {
    if (tombstones_.Contains(row)) continue;
    ids->push_back(ids_[row]);
    const uint8_t* code = codes_.get() + kPdqCodeBytes * row;
    codes->insert(codes->end(), code, code + kPdqCodeBytes);
  }
}

void PdqDelta::Search(const uint8_t* query, int max_distance, std::vector<IndexHit>* out) const {
  const size_t n = size();
  if (n == 0 || max_distance < 0) return;
  thread_local std::vector<RowDistance> found;
  found.clear();
  BestHammingKernels().scan(query, codes_.get(), n, max_distance, &found);
  for (const RowDistance& f : found) {
    if (!tombstones_.Contains(f.row)) out->push_back({ids_[f.row], f.distance});
  }
}

bool PdqDelta::FindCode(int64_t id, uint8_t* out32) const {
  const size_t n = size();
  for (size_t row = 0; row < n; ++row) {
    if (ids_[row] == id && !tombstones_.Contains(row)) {
      std::memcpy(out32, codes_.get() + row * kPdqCodeBytes, kPdqCodeBytes);
      return true;
    }
  }
  return false;
}

size_t PdqDelta::MemoryBytes() const {
  return sizeof(*this) + capacity_ * (sizeof(int64_t) + kPdqCodeBytes) + tombstones_.MemoryBytes();
}

}  // namespace hashwatch
