#include "index/multi_index_table.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

using testing::Code;

// Rows within `radius` of q that CollectCandidates failed to return.
std::vector<uint32_t> Missed(const MultiIndexTable& table, const std::vector<Code>& codes,
                             const Code& q, int radius) {
  std::vector<uint32_t> rows;
  table.CollectCandidates(q.data(), radius, &rows);
  std::sort(rows.begin(), rows.end());
  std::vector<uint32_t> missed;
  for (uint32_t i = 0; i < codes.size(); ++i) {
    if (testing::NaiveDistance(q.data(), codes[i].data()) <= radius &&
        !std::binary_search(rows.begin(), rows.end(), i)) {
      missed.push_back(i);
    }
  }
  return missed;
}

TEST_CASE("candidates include every row within the radius", "[index][mih]") {
  for (size_t n : {size_t{0}, size_t{1}, size_t{3}, size_t{500}, size_t{20000}}) {
    const testing::TestData data = testing::MakeTestData(n, 40, n + 7);
    const std::vector<uint8_t> flat = testing::Flatten(data.codes);
    for (int m : {8, 11, 12, 16}) {
      const MultiIndexTable table =
          MultiIndexTable::Build(flat.data(), n, MultiIndexPlan::WithSubstrings(m), 2);
      CHECK(table.size() == n);
      for (const Code& q : data.queries) {
        for (int radius : {0, 1, 7, 20, 31}) {
          INFO("n=" << n << " m=" << m << " radius=" << radius);
          CHECK(Missed(table, data.codes, q, radius).empty());
        }
      }
    }
  }
}

// The tightest case of the pigeonhole argument: a code at distance exactly
// 31 that differs from the query by t_i + 1 bits in every substring but one,
// and by t_j bits in substring j. Only table j can find it.
TEST_CASE("candidates include worst-case codes at distance 31", "[index][mih]") {
  std::mt19937_64 rng(11);
  for (int m : {8, 11, 12, 16}) {
    const MultiIndexPlan plan = MultiIndexPlan::WithSubstrings(m);
    const size_t n = 4096;  // random filler so buckets are realistic
    std::vector<Code> codes;
    for (size_t i = 0; i < n; ++i) codes.push_back(testing::RandomCode(rng));
    const Code q = testing::RandomCode(rng);
    const std::vector<int> t = plan.Thresholds(31, n);
    std::vector<uint32_t> planted;
    for (int j = 0; j < m; ++j) {
      if (t[j] < 0) continue;
      Code x = q;
      for (int i = 0; i < m; ++i) {
        const int flips = i == j ? t[i] : t[i] + 1;
        for (int b = 0; b < flips; ++b) {
          const int bit = plan.offset(i) + b;
          x[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        }
      }
      REQUIRE(testing::NaiveDistance(q.data(), x.data()) == 31);
      planted.push_back(static_cast<uint32_t>(codes.size()));
      codes.push_back(x);
    }
    const std::vector<uint8_t> flat = testing::Flatten(codes);
    const MultiIndexTable table = MultiIndexTable::Build(flat.data(), codes.size(), plan, 1);
    INFO("m=" << m);
    CHECK(Missed(table, codes, q, 31).empty());
  }
}

TEST_CASE(
    "MemoryBytes counts 4 bytes per code per substring plus the "
    "directory",
    "[index][mih]") {
  const testing::TestData data = testing::MakeTestData(100000, 0, 3);
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  const MultiIndexTable table =
      MultiIndexTable::Build(flat.data(), data.codes.size(), MultiIndexPlan::WithSubstrings(11), 2);
  const double per_code = static_cast<double>(table.MemoryBytes()) / data.codes.size();
  CHECK(per_code >= 44);
  CHECK(per_code <= 44 + 11 * 4.0 / 2 + 4);  // directory <= n/2 buckets
}

}  // namespace
}  // namespace hashwatch
