#include "index/pdq_segment.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "index/brute_force_search.h"
#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

std::vector<IndexHit> Search(const PdqSegment& seg, const uint8_t* q, int r) {
  std::vector<IndexHit> hits;
  seg.Search(q, r, &hits);
  CanonicalizeHits(&hits);
  return hits;
}

PdqIndexOptions Options(bool multi_index) {
  PdqIndexOptions o;
  o.multi_index_min_size = multi_index ? 1 : SIZE_MAX;
  o.build_threads = 2;
  return o;
}

TEST_CASE("PdqSegment equals brute force, flat or multi-index", "[index]") {
  testing::TestData data = testing::MakeTestData(6000, 60, 31);
  data.ids[10] = data.ids[20];  // one id with two codes
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  for (bool mih : {false, true}) {
    INFO("multi-index: " << mih);
    const auto seg = PdqSegment::Build(nullptr, data.ids, flat, Options(mih));
    CHECK(seg->has_multi_index() == mih);
    CHECK(seg->rows() == 6000);
    for (const testing::Code& q : data.queries) {
      for (int r : {0, 12, 31, 32, 45}) {
        CHECK(Search(*seg, q.data(), r) == BruteForceRangeSearch(data.ids, flat, q.data(), r));
      }
    }
  }
}

TEST_CASE("PdqSegment removal hides rows and a rebuild drops them", "[index]") {
  const testing::TestData data = testing::MakeTestData(3000, 30, 32);
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  auto seg = PdqSegment::Build(nullptr, data.ids, flat, Options(true));
  std::vector<int64_t> removed, kept_ids;
  std::vector<uint8_t> kept_codes;
  for (size_t i = 0; i < data.ids.size(); ++i) {
    if (i % 2 == 0) {
      removed.push_back(data.ids[i]);
    } else {
      kept_ids.push_back(data.ids[i]);
      kept_codes.insert(kept_codes.end(), data.codes[i].begin(), data.codes[i].end());
    }
  }
  std::sort(removed.begin(), removed.end());
  CHECK(seg->Remove(removed) == removed.size());
  CHECK(seg->Remove(removed) == 0);
  CHECK(seg->live_rows() == 1500);
  for (const testing::Code& q : data.queries) {
    CHECK(Search(*seg, q.data(), 31) == BruteForceRangeSearch(kept_ids, kept_codes, q.data(), 31));
  }
  // Rebuild from the old segment plus new codes (ids below and above).
  const testing::TestData more = testing::MakeTestData(700, 0, 33);
  const std::vector<uint8_t> more_flat = testing::Flatten(more.codes);
  auto next = PdqSegment::Build(seg.get(), more.ids, more_flat, Options(true));
  CHECK(next->rows() == 2200);
  CHECK(next->removed_rows() == 0);
  kept_ids.insert(kept_ids.end(), more.ids.begin(), more.ids.end());
  kept_codes.insert(kept_codes.end(), more_flat.begin(), more_flat.end());
  for (const testing::Code& q : data.queries) {
    CHECK(Search(*next, q.data(), 31) == BruteForceRangeSearch(kept_ids, kept_codes, q.data(), 31));
  }
}

}  // namespace
}  // namespace hashwatch
