#include "index/tombstone_set.h"

namespace hashwatch {

TombstoneSet::TombstoneSet(size_t rows)
    : rows_(rows), words_(new std::atomic<uint64_t>[(rows + 63) / 64]) {
  for (size_t i = 0; i < (rows + 63) / 64; ++i) {
    words_[i].store(0, std::memory_order_relaxed);
  }
}

bool TombstoneSet::Insert(size_t row) {
  const uint64_t bit = uint64_t{1} << (row % 64);
  const uint64_t before = words_[row / 64].fetch_or(bit, std::memory_order_acq_rel);
  if (before & bit) return false;
  count_.fetch_add(1, std::memory_order_acq_rel);
  return true;
}

}  // namespace hashwatch
