#include "index/brute_force_search.h"

#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

using testing::Code;

TEST_CASE("BruteForceRangeSearch includes distance 31 and excludes 32", "[index]") {
  std::mt19937_64 rng(4);
  const Code q = testing::RandomCode(rng);
  std::vector<Code> codes;
  std::vector<int64_t> ids;
  for (int d = 0; d <= 64; ++d) {
    codes.push_back(testing::FlipBits(q, d, rng));
    ids.push_back(1000 - d);
  }
  const std::vector<uint8_t> flat = testing::Flatten(codes);
  const std::vector<IndexHit> hits = BruteForceRangeSearch(ids, flat, q.data(), 31);
  REQUIRE(hits.size() == 32);
  for (int d = 0; d <= 31; ++d) {
    CHECK(hits[d].distance == d);
    CHECK(hits[d].id == 1000 - d);
  }
  CHECK(BruteForceRangeSearch(ids, flat, q.data(), 32).size() == 33);
  CHECK(BruteForceRangeSearch(ids, flat, q.data(), -1).empty());
  CHECK(BruteForceRangeSearch(ids, flat, q.data(), 256).size() == 65);
}

TEST_CASE("BruteForceRangeSearch reports a repeated id once, nearest", "[index]") {
  std::mt19937_64 rng(5);
  const Code q = testing::RandomCode(rng);
  const std::vector<Code> codes = {testing::FlipBits(q, 20, rng), testing::FlipBits(q, 3, rng),
                                   testing::FlipBits(q, 9, rng)};
  const std::vector<int64_t> ids = {42, 42, 5};
  const std::vector<uint8_t> flat = testing::Flatten(codes);
  const std::vector<IndexHit> hits = BruteForceRangeSearch(ids, flat, q.data(), 31);
  const std::vector<IndexHit> want = {{42, 3}, {5, 9}};
  CHECK(hits == want);
}

}  // namespace
}  // namespace hashwatch
