#include "index/pdq_delta.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include "index/brute_force_search.h"
#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

std::vector<IndexHit> Search(const PdqDelta& delta, const uint8_t* q, int r) {
  std::vector<IndexHit> hits;
  delta.Search(q, r, &hits);
  CanonicalizeHits(&hits);
  return hits;
}

TEST_CASE("PdqDelta finds what was appended and not removed", "[index]") {
  const testing::TestData data = testing::MakeTestData(300, 12, 21);
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  PdqDelta delta(400);
  delta.Append(absl::MakeConstSpan(data.ids).subspan(0, 100),
               absl::MakeConstSpan(flat).subspan(0, 3200));
  delta.Append(absl::MakeConstSpan(data.ids).subspan(100), absl::MakeConstSpan(flat).subspan(3200));
  CHECK(delta.size() == 300);
  for (const testing::Code& q : data.queries) {
    for (int r : {0, 31, 32}) {
      CHECK(Search(delta, q.data(), r) == BruteForceRangeSearch(data.ids, flat, q.data(), r));
    }
  }
  // Remove every third id; they must disappear, the rest stay.
  std::vector<int64_t> removed;
  for (size_t i = 0; i < data.ids.size(); i += 3) removed.push_back(data.ids[i]);
  std::sort(removed.begin(), removed.end());
  CHECK(delta.Remove(removed) == removed.size());
  CHECK(delta.Remove(removed) == 0);
  CHECK(delta.live_size() == 200);
  std::vector<int64_t> live_ids;
  std::vector<uint8_t> live_codes;
  delta.AppendLiveTo(&live_ids, &live_codes);
  REQUIRE(live_ids.size() == 200);
  for (const testing::Code& q : data.queries) {
    CHECK(Search(delta, q.data(), 31) == BruteForceRangeSearch(live_ids, live_codes, q.data(), 31));
  }
}

TEST_CASE("PdqDelta readers see a consistent prefix while a writer appends",
          "[index][concurrency]") {
  std::mt19937_64 rng(22);
  const testing::Code q = testing::RandomCode(rng);
  constexpr int kRows = 2000;
  PdqDelta delta(kRows);
  std::atomic<int> appended{0};
  std::atomic<bool> failed{false};
  std::thread reader([&] {
    while (appended.load() < kRows) {
      const int before = appended.load();
      std::vector<IndexHit> hits = Search(delta, q.data(), 256);
      const int after = appended.load();
      // Row i has id i and distance i % 32: all rows published before the
      // search are there, nothing beyond what was appended after it.
      bool ok =
          static_cast<int>(hits.size()) >= before && static_cast<int>(hits.size()) <= after + 1;
      for (const IndexHit& h : hits) ok = ok && h.distance == h.id % 32;
      if (!ok) failed = true;
    }
  });
  for (int i = 0; i < kRows; ++i) {
    const testing::Code c = testing::FlipBits(q, i % 32, rng);
    const int64_t id = i;
    delta.Append(absl::MakeConstSpan(&id, 1), c);
    appended.store(i + 1);
  }
  reader.join();
  CHECK_FALSE(failed.load());
}

}  // namespace
}  // namespace hashwatch
