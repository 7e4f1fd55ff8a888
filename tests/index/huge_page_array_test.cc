#include "index/huge_page_array.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <utility>

namespace hashwatch {
namespace {

TEST_CASE("HugePageArray is zeroed, writable and sized", "[index]") {
  for (size_t n : {size_t{1}, size_t{1000}, size_t{3} << 20}) {
    HugePageArray<uint32_t> a(n);
    REQUIRE(a.size() == n);
    CHECK(a.mapped_bytes() >= n * sizeof(uint32_t));
    CHECK(a[0] == 0);
    CHECK(a[n - 1] == 0);
    a[n - 1] = 7;
    CHECK(a[n - 1] == 7);
  }
}

TEST_CASE("HugePageArray aligns large arrays to 2 MiB for THP", "[index]") {
  HugePageArray<uint8_t> a(size_t{5} << 20);
  CHECK(reinterpret_cast<uintptr_t>(a.data()) % (size_t{2} << 20) == 0);
  CHECK(a.mapped_bytes() == size_t{6} << 20);
}

TEST_CASE("HugePageArray without THP advice is page-rounded only", "[index]") {
  HugePageArray<uint8_t> a((size_t{5} << 20) + 1, /*huge=*/false);
  CHECK(a.mapped_bytes() % 4096 == 0);
  CHECK(a.mapped_bytes() < size_t{6} << 20);
  a[a.size() - 1] = 1;
  CHECK(a[a.size() - 1] == 1);
}

TEST_CASE("HugePageArray moves ownership", "[index]") {
  HugePageArray<int64_t> a(10);
  a[3] = -5;
  HugePageArray<int64_t> b(std::move(a));
  CHECK(b[3] == -5);
  CHECK(b.size() == 10);
  CHECK(a.data() == nullptr);  // NOLINT(bugprone-use-after-move)
  HugePageArray<int64_t> c;
  c = std::move(b);
  CHECK(c[3] == -5);
  CHECK(HugePageArray<int64_t>(0).data() == nullptr);
}

}  // namespace
}  // namespace hashwatch
