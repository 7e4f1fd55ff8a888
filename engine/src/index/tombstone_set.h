// A fixed-size set of removed row numbers ("tombstones"), one bit per row.
//
// Thread safety: Insert, Contains and count may run concurrently from any
// threads (the bits are atomic words). An Insert that has returned is seen
// by every Contains that starts after it in the same thread, or in a thread
// that synchronised with it.
#ifndef HASHWATCH_INDEX_TOMBSTONE_SET_H_
#define HASHWATCH_INDEX_TOMBSTONE_SET_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace hashwatch {

class TombstoneSet {
 public:
  // Rows [0, rows) are all live.
  explicit TombstoneSet(size_t rows = 0);

  // Marks `row` (< rows) removed. Returns false if it already was.
  bool Insert(size_t row);
  bool Contains(size_t row) const {
    return (words_[row / 64].load(std::memory_order_acquire) >> (row % 64)) & 1;
  }
  // Number of rows removed so far.
  size_t count() const { return count_.load(std::memory_order_acquire); }
  size_t rows() const { return rows_; }
  size_t MemoryBytes() const { return (rows_ + 63) / 64 * 8; }

 private:
  size_t rows_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
  std::atomic<size_t> count_{0};
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_TOMBSTONE_SET_H_
