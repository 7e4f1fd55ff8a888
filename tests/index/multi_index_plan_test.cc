#include "index/multi_index_plan.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

namespace hashwatch {
namespace {

TEST_CASE("substrings partition the 256 bits", "[index][mih]") {
  for (int m = MultiIndexPlan::kMinSubstrings; m <= MultiIndexPlan::kMaxSubstrings; ++m) {
    const MultiIndexPlan plan = MultiIndexPlan::WithSubstrings(m);
    REQUIRE(plan.substrings() == m);
    int total = 0;
    for (int i = 0; i < m; ++i) {
      CHECK((plan.bits(i) == 256 / m || plan.bits(i) == 256 / m + 1));
      total += plan.bits(i);
    }
    CHECK(total == 256);
    // Every single-bit code lands in exactly one substring, at its offset.
    for (int k = 0; k < 256; ++k) {
      uint8_t code[32] = {};
      code[k / 8] = static_cast<uint8_t>(1u << (k % 8));
      int owners = 0;
      for (int i = 0; i < m; ++i) {
        const uint32_t key = plan.Extract(code, i);
        if (key == 0) continue;
        ++owners;
        CHECK(key == uint32_t{1} << (k - plan.offset(i)));
      }
      CHECK(owners == 1);
    }
  }
}

TEST_CASE("thresholds satisfy the generalized pigeonhole bound exactly", "[index][mih]") {
  for (int m = 8; m <= 16; ++m) {
    const MultiIndexPlan plan = MultiIndexPlan::WithSubstrings(m);
    for (size_t n : {size_t{1000}, size_t{1000000}, size_t{10000000}}) {
      for (int r = 0; r <= 31; ++r) {
        const std::vector<int> t = plan.Thresholds(r, n);
        int units = 0;
        for (int i = 0; i < m; ++i) {
          CHECK(t[i] >= -1);
          CHECK(t[i] <= plan.bits(i));
          units += t[i] + 1;
        }
        CHECK(units == r + 1);  // sum(t_i + 1) > r: no neighbour missed
      }
    }
  }
}

TEST_CASE("the cost model picks the substring counts behind the benchmarks", "[index][mih]") {
  // docs/benchmarks.md: m = 12 at 1M codes, m = 11 at 10M codes.
  CHECK(MultiIndexPlan::ForSize(1000000).substrings() == 12);
  CHECK(MultiIndexPlan::ForSize(10000000).substrings() == 11);
  // m = 11 at radius 31: ten substrings probed within 2 bits, one within 1.
  const MultiIndexPlan plan = MultiIndexPlan::WithSubstrings(11);
  std::vector<int> t = plan.Thresholds(31, 10000000);
  std::sort(t.begin(), t.end());
  CHECK(t == std::vector<int>{1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2});
  const MultiIndexPlan::Estimate e = plan.EstimateCost(31, 10000000);
  CHECK(e.probes == Approx(2866).epsilon(0.01));
  CHECK(e.candidates == Approx(2878).epsilon(0.01));
}

TEST_CASE("BallSize counts keys within a Hamming distance", "[index][mih]") {
  CHECK(BallSize(23, -1) == 0);
  CHECK(BallSize(23, 0) == 1);
  CHECK(BallSize(23, 1) == 24);
  CHECK(BallSize(23, 2) == 277);  // 1 + 23 + 253
  CHECK(BallSize(4, 9) == 16);
}

}  // namespace
}  // namespace hashwatch
