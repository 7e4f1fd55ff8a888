// A fixed-size, zero-initialised array of trivially copyable T in its own
// anonymous memory mapping, advised for transparent huge pages when large.
//
// Why: the PDQ index makes random accesses into arrays of hundreds of MB
// (codes, multi-index tables). With 4 KiB pages nearly every access also
// misses the TLB; 2 MiB pages remove most of those walks. Debian's kernel
// default is THP "madvise", so the mapping must ask for it. A mapping of its
// own is also returned to the OS on destruction (malloc may keep freed heap),
// so the resident memory the bench measures is the index's.
//
// Ownership: move-only; the array owns its mapping.
// Thread safety: like std::vector (const access from many threads is safe).
#ifndef HASHWATCH_INDEX_HUGE_PAGE_ARRAY_H_
#define HASHWATCH_INDEX_HUGE_PAGE_ARRAY_H_

#include <cstddef>
#include <type_traits>
#include <utility>

namespace hashwatch {

namespace huge_page_internal {
// Maps at least `bytes` zeroed bytes (2 MiB-aligned and THP-advised when
// huge and bytes >= 2 MiB). Returns nullptr for bytes == 0. Throws
// std::bad_alloc.
void* Map(size_t bytes, bool huge, size_t* mapped_bytes);
void Unmap(void* p, size_t mapped_bytes);
}  // namespace huge_page_internal

template <typename T>
class HugePageArray {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  HugePageArray() = default;
  // Throws std::bad_alloc when the memory cannot be mapped. huge = false
  // for scratch that is written once in order: there a 2 MiB page fault
  // (zeroing 2 MiB, compaction) costs more than the TLB misses it saves.
  explicit HugePageArray(size_t size, bool huge = true) : size_(size) {
    data_ = static_cast<T*>(huge_page_internal::Map(size * sizeof(T), huge, &mapped_bytes_));
  }
  HugePageArray(HugePageArray&& other) noexcept { Swap(other); }
  HugePageArray& operator=(HugePageArray&& other) noexcept {
    HugePageArray(std::move(other)).Swap(*this);
    return *this;
  }
  HugePageArray(const HugePageArray&) = delete;
  HugePageArray& operator=(const HugePageArray&) = delete;
  ~HugePageArray() { huge_page_internal::Unmap(data_, mapped_bytes_); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  // Bytes of address space held (a multiple of the page size).
  size_t mapped_bytes() const { return mapped_bytes_; }

 private:
  void Swap(HugePageArray& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    std::swap(mapped_bytes_, other.mapped_bytes_);
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_bytes_ = 0;
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_HUGE_PAGE_ARRAY_H_
