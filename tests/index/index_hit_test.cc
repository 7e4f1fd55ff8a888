#include "index/index_hit.h"

#include <catch2/catch.hpp>
#include <vector>

namespace hashwatch {
namespace {

TEST_CASE("CanonicalizeHits keeps each id once at its smallest distance", "[index]") {
  std::vector<IndexHit> hits = {{7, 12}, {3, 30}, {7, 4}, {-2, 4}, {3, 30}, {9, 0}, {7, 31}};
  CanonicalizeHits(&hits);
  const std::vector<IndexHit> want = {{9, 0}, {-2, 4}, {7, 4}, {3, 30}};
  CHECK(hits == want);
}

TEST_CASE("IndexHitLess orders by distance, then id", "[index]") {
  CHECK(IndexHitLess({5, 1}, {1, 2}));
  CHECK(IndexHitLess({1, 2}, {5, 2}));
  CHECK_FALSE(IndexHitLess({5, 2}, {5, 2}));
}

}  // namespace
}  // namespace hashwatch
