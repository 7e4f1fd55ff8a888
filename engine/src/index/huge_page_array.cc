#include "index/huge_page_array.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <new>

namespace hashwatch::huge_page_internal {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;  // x86-64 THP size

size_t RoundUp(size_t x, size_t to) {
  return (x + to - 1) / to * to;
}

}  // namespace

void* Map(size_t bytes, bool huge, size_t* mapped_bytes) {
  *mapped_bytes = 0;
  if (bytes == 0) return nullptr;
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  if (bytes < kHugePage || !huge) {
    const size_t len = RoundUp(bytes, page);
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    *mapped_bytes = len;
    return p;
  }
  // Over-map by one huge page, then trim both ends so the region starts on a
  // 2 MiB boundary (THP only backs aligned 2 MiB ranges).
  const size_t len = RoundUp(bytes, kHugePage);
  void* raw =
      mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = RoundUp(start, kHugePage);
  if (aligned > start) munmap(raw, aligned - start);
  const uintptr_t end = start + len + kHugePage;
  if (end > aligned + len) {
    munmap(reinterpret_cast<void*>(aligned + len), end - (aligned + len));
  }
  void* p = reinterpret_cast<void*>(aligned);
  // Advice only: without THP the array still works with 4 KiB pages.
  madvise(p, len, MADV_HUGEPAGE);
  *mapped_bytes = len;
  return p;
}

void Unmap(void* p, size_t mapped_bytes) {
  if (p != nullptr) munmap(p, mapped_bytes);
}

}  // namespace hashwatch::huge_page_internal
