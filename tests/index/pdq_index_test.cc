#include "index/pdq_index.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "index/brute_force_search.h"
#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

using testing::Code;

// Small delta and a low multi-index threshold, so that tests of a few
// thousand codes go through every path: delta scans, merges, MIH tables.
PdqIndexOptions SmallOptions() {
  PdqIndexOptions o;
  o.delta_capacity = 64;
  o.multi_index_min_size = 256;
  o.build_threads = 2;
  return o;
}

// What the index should hold: id -> codes, in insertion order.
class Model {
 public:
  void Add(int64_t id, const Code& c) { codes_.emplace(id, c); }
  size_t Remove(int64_t id) { return codes_.erase(id); }
  size_t size() const { return codes_.size(); }
  std::vector<IndexHit> Search(const Code& q, int r) const {
    std::vector<int64_t> ids;
    std::vector<uint8_t> flat;
    for (const auto& [id, c] : codes_) {
      ids.push_back(id);
      flat.insert(flat.end(), c.begin(), c.end());
    }
    return BruteForceRangeSearch(ids, flat, q.data(), r);
  }

 private:
  std::multimap<int64_t, Code> codes_;
};

TEST_CASE("PdqIndex equals brute force through adds, removes and merges", "[index]") {
  std::mt19937_64 rng(41);
  PdqIndex index(SmallOptions());
  Model model;
  std::vector<Code> anchors;  // codes near which the queries are made
  std::vector<int64_t> known_ids;
  int64_t next_id = 1;
  for (int step = 0; step < 120; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 6 || known_ids.empty()) {
      // Add a batch: sometimes tiny (delta), sometimes large (merge path).
      const size_t batch = step % 17 == 0 ? 900 : 1 + rng() % 40;
      std::vector<int64_t> ids;
      std::vector<Code> codes;
      for (size_t i = 0; i < batch; ++i) {
        if (anchors.empty() || rng() % 8 == 0) {
          anchors.push_back(testing::RandomCode(rng));
        }
        const Code& a = anchors[rng() % anchors.size()];
        // Ids sometimes repeat (several codes per id) or come back after a
        // removal.
        const int64_t id = (rng() % 10 == 0 && !known_ids.empty())
                               ? known_ids[rng() % known_ids.size()]
                               : next_id++ * 7919 % 100003 - 50000;
        ids.push_back(id);
        codes.push_back(testing::FlipBits(a, static_cast<int>(rng() % 41), rng));
        model.Add(id, codes.back());
        known_ids.push_back(id);
      }
      REQUIRE(index.Add(ids, testing::Flatten(codes)).ok());
    } else if (op < 9) {
      std::vector<int64_t> ids;
      size_t want = 0;
      for (int i = 0; i < 30; ++i) {
        ids.push_back(known_ids[rng() % known_ids.size()]);
      }
      ids.push_back(-999999);  // unknown ids are ignored
      std::sort(ids.begin(), ids.end());
      ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
      for (int64_t id : ids) want += model.Remove(id);
      CHECK(index.Remove(ids) == want);
    } else {
      REQUIRE(index.Compact().ok());
    }
    REQUIRE(index.size() == model.size());
    for (int q = 0; q < 6; ++q) {
      const Code query = q == 5 ? testing::RandomCode(rng)
                                : testing::FlipBits(anchors[rng() % anchors.size()], q, rng);
      for (int r : {0, 9, 31, 32, 60}) {
        INFO("step " << step << " radius " << r);
        REQUIRE(index.RangeSearch(query.data(), r) == model.Search(query, r));
      }
    }
  }
  CHECK(index.multi_index_substrings() > 0);
}

TEST_CASE("PdqIndex includes distance 31 and excludes 32", "[index]") {
  std::mt19937_64 rng(42);
  PdqIndex index(SmallOptions());
  const Code q = testing::RandomCode(rng);
  std::vector<int64_t> ids;
  std::vector<Code> codes;
  for (int i = 0; i < 4000; ++i) {  // filler, so the main part uses MIH
    ids.push_back(100000 + i);
    codes.push_back(testing::RandomCode(rng));
  }
  for (int d = 25; d <= 40; ++d) {
    for (int k = 0; k < 20; ++k) {
      ids.push_back(d * 100 + k);
      codes.push_back(testing::FlipBits(q, d, rng));
    }
  }
  REQUIRE(index.Add(ids, testing::Flatten(codes)).ok());
  REQUIRE(index.multi_index_substrings() > 0);
  const std::vector<IndexHit> hits = index.RangeSearch(q.data(), 31);
  REQUIRE(hits.size() == 7 * 20);  // distances 25..31
  CHECK(hits.front().distance == 25);
  CHECK(hits.back().distance == 31);
  CHECK(hits.back().id == 3119);
  CHECK(index.RangeSearch(q.data(), 32).size() == 8 * 20);
  CHECK(index.RangeSearch(q.data(), -1).empty());
  // Removed ids never come back, at any radius.
  std::vector<int64_t> gone;
  for (int k = 0; k < 20; ++k) gone.push_back(3100 + k);
  CHECK(index.Remove(gone) == 20);
  for (const IndexHit& h : index.RangeSearch(q.data(), 256)) {
    CHECK((h.id < 3100 || h.id >= 3120));
  }
}

TEST_CASE("PdqIndex rejects codes of the wrong size", "[index]") {
  PdqIndex index;
  const std::vector<int64_t> ids = {1, 2};
  const std::vector<uint8_t> codes(63);
  const absl::Status s = index.Add(ids, codes);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(index.size() == 0);
  CHECK(index.Add({}, {}).ok());
}

// Readers search while a writer adds and removes. Every search must see
// each Add/Remove that returned before it began and nothing not yet begun,
// with correct distances; merges happen throughout (delta of 64 codes).
TEST_CASE("PdqIndex searches stay consistent during adds and removes", "[index][concurrency]") {
  std::mt19937_64 rng(43);
  PdqIndex index(SmallOptions());
  constexpr int kQueries = 8;
  constexpr int kBatches = 150;
  constexpr int kRemoveLag = 10;  // batch b is removed after batch b + 10
  std::vector<Code> queries;
  for (int i = 0; i < kQueries; ++i) queries.push_back(testing::RandomCode(rng));
  // Permanent codes: 2000 near-random plus one at distance 31 per query.
  std::vector<int64_t> ids;
  std::vector<Code> codes;
  for (int i = 0; i < 2000; ++i) {
    ids.push_back(-1 - i);
    codes.push_back(testing::RandomCode(rng));
  }
  for (int k = 0; k < kQueries; ++k) {
    ids.push_back(-100000 - k);
    codes.push_back(testing::FlipBits(queries[k], 31, rng));
  }
  REQUIRE(index.Add(ids, testing::Flatten(codes)).ok());
  // Batch b holds, for each query k, id b * kQueries + k at distance b % 32.
  std::vector<std::vector<Code>> batches(kBatches);
  for (int b = 0; b < kBatches; ++b) {
    for (int k = 0; k < kQueries; ++k) {
      batches[b].push_back(testing::FlipBits(queries[k], b % 32, rng));
    }
  }
  std::atomic<int> added{0};     // batches [0, added) have been added
  std::atomic<int> removed{0};   // batches [0, removed) have been removed
  std::atomic<int> removing{0};  // removal of batches [0, removing) began
  std::atomic<int> failures{0};
  std::atomic<int> searches{0};
  auto reader = [&](int seed) {
    std::mt19937_64 r(seed);
    while (added.load() < kBatches) {
      const int k = static_cast<int>(r() % kQueries);
      const int added_before = added.load();
      const int removed_before = removed.load();
      const std::vector<IndexHit> hits = index.RangeSearch(queries[k].data(), 31);
      const int added_after = added.load();
      const int removing_after = removing.load();
      std::vector<bool> seen(kBatches, false);
      bool ok = false;
      for (const IndexHit& h : hits) {
        if (h.id == -100000 - k) {
          ok = h.distance == 31;
          continue;
        }
        if (h.id < 0) continue;  // a random permanent code, by chance
        const int b = static_cast<int>(h.id / kQueries);
        if (h.id % kQueries != k || b >= kBatches || b > added_after || b < removed_before ||
            h.distance != b % 32) {
          failures++;
        }
        if (b < kBatches) seen[b] = true;
      }
      if (!ok) failures++;  // the permanent neighbour must always be there
      for (int b = removing_after; b < added_before; ++b) {
        if (!seen[b]) failures++;
      }
      searches++;
    }
  };
  std::thread r1(reader, 1), r2(reader, 2);
  for (int b = 0; b < kBatches; ++b) {
    std::vector<int64_t> batch_ids;
    for (int k = 0; k < kQueries; ++k) batch_ids.push_back(b * kQueries + k);
    REQUIRE(index.Add(batch_ids, testing::Flatten(batches[b])).ok());
    if (b >= kRemoveLag) {
      const int old = b - kRemoveLag;
      std::vector<int64_t> old_ids;
      for (int k = 0; k < kQueries; ++k) old_ids.push_back(old * kQueries + k);
      removing.store(old + 1);
      CHECK(index.Remove(old_ids) == kQueries);
      removed.store(old + 1);
    }
    added.store(b + 1);
  }
  r1.join();
  r2.join();
  CHECK(failures.load() == 0);
  CHECK(searches.load() > 0);
  CHECK(index.size() == 2000 + kQueries + kRemoveLag * kQueries);
}

}  // namespace
}  // namespace hashwatch
