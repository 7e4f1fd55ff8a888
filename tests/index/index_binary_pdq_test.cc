#include "index/index_binary_pdq.h"

#include <faiss/IndexIDMap.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>

#include <catch2/catch.hpp>
#include <vector>

#include "index/brute_force_search.h"
#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

// FAISS's convention (design.md section 4): range_search keeps distances
// strictly below the radius, so radius 32 means PDQ's "<= 31". (Compared with
// the brute-force scan rather than IndexBinaryFlat, whose OpenMP threads are
// invisible to ThreadSanitizer.)
TEST_CASE("IndexBinaryPdq range_search keeps distances below the radius", "[index]") {
  const testing::TestData data = testing::MakeTestData(5000, 30, 51);
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  const std::vector<uint8_t> queries = testing::Flatten(data.queries);
  const faiss::IndexBinary::idx_t nq = data.queries.size();
  PdqIndexOptions options;
  options.multi_index_min_size = 1000;
  IndexBinaryPdq pdq(options);
  pdq.add_with_ids(data.codes.size(), flat.data(), data.ids.data());
  CHECK(pdq.ntotal == 5000);
  for (int radius : {1, 31, 32, 33}) {
    faiss::RangeSearchResult got(nq);
    pdq.range_search(nq, queries.data(), radius, &got);
    for (faiss::IndexBinary::idx_t q = 0; q < nq; ++q) {
      std::vector<IndexHit> hits;
      for (size_t j = got.lims[q]; j < got.lims[q + 1]; ++j) {
        hits.push_back({got.labels[j], static_cast<int>(got.distances[j])});
      }
      CHECK(hits == BruteForceRangeSearch(data.ids, flat, data.queries[q].data(), radius - 1));
    }
  }
}

TEST_CASE("IndexBinaryPdq under IndexBinaryIDMap, k-NN and removal", "[index]") {
  const testing::TestData data = testing::MakeTestData(500, 10, 52);
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  IndexBinaryPdq pdq;
  faiss::IndexBinaryIDMap idmap(&pdq);
  std::vector<faiss::IndexBinary::idx_t> ids(data.ids.begin(), data.ids.end());
  idmap.add_with_ids(ids.size(), flat.data(), ids.data());
  // The k-NN of a stored code is itself at distance 0, then its neighbours.
  std::vector<int32_t> dist(5);
  std::vector<faiss::IndexBinary::idx_t> labels(5);
  idmap.search(1, flat.data(), 5, dist.data(), labels.data());
  CHECK(labels[0] == ids[0]);
  CHECK(dist[0] == 0);
  for (int j = 1; j < 5; ++j) {
    CHECK(dist[j] >= dist[j - 1]);
    CHECK(dist[j] <= 31);
  }
  // Nothing within 31 of a random code: slots are empty.
  std::mt19937_64 rng(7);
  const testing::Code far = testing::RandomCode(rng);
  pdq.search(1, far.data(), 5, dist.data(), labels.data());
  CHECK(labels[0] == -1);
  // IndexBinaryIDMap's remove_ids assumes the inner index renumbers its
  // codes (as IndexBinaryFlat does); IndexBinaryPdq keeps ids, so it refuses
  // rather than let the id map go out of step.
  const faiss::IndexBinary::idx_t gone = ids[0];
  CHECK_THROWS_AS(idmap.remove_ids(faiss::IDSelectorArray(1, &gone)), faiss::FaissException);
  CHECK(pdq.ntotal == 500);
}

TEST_CASE("IndexBinaryPdq keeps its own ids and removes by selector", "[index]") {
  const testing::TestData data = testing::MakeTestData(500, 10, 53);
  const std::vector<uint8_t> flat = testing::Flatten(data.codes);
  IndexBinaryPdq pdq;
  std::vector<faiss::IndexBinary::idx_t> ids(data.ids.begin(), data.ids.end());
  pdq.add_with_ids(ids.size(), flat.data(), ids.data());
  std::vector<int32_t> dist(1);
  std::vector<faiss::IndexBinary::idx_t> labels(1);
  pdq.search(1, flat.data(), 1, dist.data(), labels.data());
  CHECK(labels[0] == ids[0]);
  CHECK(pdq.remove_ids(faiss::IDSelectorArray(1, &ids[0])) == 1);
  CHECK(pdq.remove_ids(faiss::IDSelectorBatch(2, &ids[1])) == 2);
  CHECK(pdq.ntotal == 497);
  pdq.search(1, flat.data(), 1, dist.data(), labels.data());
  CHECK(labels[0] != ids[0]);
  struct Odd : faiss::IDSelector {
    bool is_member(idx_t id) const override { return id % 2; }
  };
  CHECK_THROWS_AS(pdq.remove_ids(Odd()), faiss::FaissException);
  pdq.reset();
  CHECK(pdq.ntotal == 0);
}

}  // namespace
}  // namespace hashwatch
