#include "index/float_index.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace hashwatch::index {
namespace {

constexpr int kDim = 64;

void Normalise(float* v, int d) {
  double norm = 0;
  for (int i = 0; i < d; ++i) norm += double{v[i]} * v[i];
  const float inv = static_cast<float>(1 / std::sqrt(norm));
  for (int i = 0; i < d; ++i) v[i] *= inv;
}

// n unit vectors around `clusters` random centres (like embeddings: groups
// of similar images), spread `noise` around their centre.
std::vector<float> ClusteredVectors(size_t n, int clusters, float noise, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> centres(static_cast<size_t>(clusters) * kDim);
  for (float& x : centres) x = normal(rng);
  std::vector<float> out(n * kDim);
  for (size_t i = 0; i < n; ++i) {
    const float* c = &centres[(rng() % clusters) * kDim];
    for (int j = 0; j < kDim; ++j) out[i * kDim + j] = c[j] + noise * normal(rng);
    Normalise(&out[i * kDim], kDim);
  }
  return out;
}

// Query = stored vector i plus a little noise (a near-copy).
std::vector<float> NearCopy(const std::vector<float>& data, size_t i, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::vector<float> q(data.begin() + i * kDim, data.begin() + (i + 1) * kDim);
  for (float& x : q) x += 0.02f * normal(rng);
  Normalise(q.data(), kDim);
  return q;
}

// The exact top-k ids by inner product.
std::vector<int64_t> BruteForceTopK(const std::vector<int64_t>& ids, const std::vector<float>& data,
                                    const float* q, size_t k) {
  std::vector<std::pair<float, int64_t>> scored(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    float s = 0;
    for (int j = 0; j < kDim; ++j) s += q[j] * data[i * kDim + j];
    scored[i] = {s, ids[i]};
  }
  std::partial_sort(scored.begin(), scored.begin() + k, scored.end(), std::greater<>());
  std::vector<int64_t> top(k);
  for (size_t i = 0; i < k; ++i) top[i] = scored[i].second;
  return top;
}

std::unique_ptr<FloatIndex> MakeIndex(size_t exact_limit, FloatIndexKind kind, int effort) {
  FloatIndexOptions options;
  options.dimension = kDim;
  options.exact_limit = exact_limit;
  options.kind = kind;
  options.search_effort = effort;
  options.search_threads = 2;
  auto index = FloatIndex::Create(options);
  REQUIRE(index.ok());
  return std::move(index).value();
}

// Ids nothing like row numbers: large, negative, sparse.
std::vector<int64_t> CallerIds(size_t n) {
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) {
    ids[i] = (i % 2 ? -1 : 1) * (int64_t{1} << 40) + static_cast<int64_t>(i) * 7919;
  }
  return ids;
}

TEST_CASE("FloatIndex below exact_limit finds each stored vector first", "[float_index]") {
  const size_t n = 500;
  const std::vector<float> data = ClusteredVectors(n, 20, 0.3f, 1);
  const std::vector<int64_t> ids = CallerIds(n);
  auto index = MakeIndex(1000, FloatIndexKind::kIvfFlat, 16);
  REQUIRE(index->Add(ids, data).ok());
  CHECK(index->size() == n);
  CHECK_FALSE(index->approximate());
  CHECK(index->kind() == "flat-ip");
  CHECK(index->memory_bytes() >= n * kDim * sizeof(float));

  auto result = index->Search(data, n, 5);  // every stored vector as a query
  REQUIRE(result.ok());
  REQUIRE(result->size() == n);
  for (size_t i = 0; i < n; ++i) {
    REQUIRE((*result)[i].size() == 5);
    CHECK((*result)[i][0].id == ids[i]);
    CHECK((*result)[i][0].score == Approx(1.0f).margin(1e-4));
    CHECK((*result)[i][0].score >= (*result)[i][4].score);
  }
}

TEST_CASE("FloatIndex above exact_limit keeps recall@10 high and the caller's ids",
          "[float_index]") {
  const size_t n = 20000;
  const std::vector<float> data = ClusteredVectors(n, 200, 0.35f, 2);
  const std::vector<int64_t> ids = CallerIds(n);
  struct Case {
    FloatIndexKind kind;
    int effort;
    // SQ8's 8-bit codes cost a few points at any effort; HNSW needs a wide
    // beam (efSearch) inside these tight clusters.
    double min_recall;
  };
  for (const Case c :
       {Case{.kind = FloatIndexKind::kIvfFlat, .effort = 16, .min_recall = 0.95},
        Case{.kind = FloatIndexKind::kIvfSq8, .effort = 16, .min_recall = 0.90},
        Case{.kind = FloatIndexKind::kHnswFlat, .effort = 256, .min_recall = 0.93}}) {
    auto index = MakeIndex(2000, c.kind, c.effort);
    // In chunks: the crossing at 2000 trains on the vectors held so far.
    for (size_t start = 0; start < n; start += 1500) {
      const size_t end = std::min(n, start + 1500);
      REQUIRE(index
                  ->Add(absl::MakeConstSpan(ids).subspan(start, end - start),
                        absl::MakeConstSpan(data).subspan(start * kDim, (end - start) * kDim))
                  .ok());
    }
    INFO(index->kind());
    CHECK(index->approximate());
    CHECK(index->size() == n);

    // Half near-copies of stored vectors, half fresh vectors.
    const size_t nq = 400;
    std::vector<float> queries;
    const std::vector<float> fresh = ClusteredVectors(nq / 2, 200, 0.35f, 3);
    for (size_t q = 0; q < nq / 2; ++q) {
      const std::vector<float> v = NearCopy(data, (q * 7919) % n, static_cast<uint32_t>(q));
      queries.insert(queries.end(), v.begin(), v.end());
    }
    queries.insert(queries.end(), fresh.begin(), fresh.end());
    auto result = index->Search(queries, nq, 10);
    REQUIRE(result.ok());
    size_t found = 0, copies_found_first = 0;
    for (size_t q = 0; q < nq; ++q) {
      const std::vector<int64_t> truth = BruteForceTopK(ids, data, &queries[q * kDim], 10);
      for (const FloatHit& hit : (*result)[q]) {
        found += std::count(truth.begin(), truth.end(), hit.id);
      }
      if (q < nq / 2 && !(*result)[q].empty() && (*result)[q][0].id == ids[(q * 7919) % n]) {
        ++copies_found_first;
      }
    }
    const double recall = static_cast<double>(found) / (nq * 10);
    INFO("recall@10 " << recall);
    CHECK(recall >= c.min_recall);
    CHECK(copies_found_first >= nq / 2 - 2);  // near-copies come back as their original
  }
}

TEST_CASE("FloatIndex::Remove stops a vector matching at once, in every kind", "[float_index]") {
  const size_t n = 3000;
  const std::vector<float> data = ClusteredVectors(n, 30, 0.3f, 4);
  const std::vector<int64_t> ids = CallerIds(n);
  for (const FloatIndexKind kind :
       {FloatIndexKind::kIvfFlat, FloatIndexKind::kIvfSq8, FloatIndexKind::kHnswFlat}) {
    for (const size_t exact_limit : {size_t{100000}, size_t{1000}}) {
      auto index = MakeIndex(exact_limit, kind, 64);
      REQUIRE(index->Add(ids, data).ok());
      INFO(index->kind());
      const std::vector<float> query(data.begin() + 10 * kDim, data.begin() + 11 * kDim);
      auto before = index->Search(query, 1, 3);
      REQUIRE(before.ok());
      REQUIRE_FALSE((*before)[0].empty());
      REQUIRE((*before)[0][0].id == ids[10]);

      const std::vector<int64_t> gone = {ids[10], 123456789 /* unknown */};
      auto removed = index->Remove(gone);
      REQUIRE(removed.ok());
      CHECK(*removed == 1);
      CHECK(index->size() == n - 1);
      auto after = index->Search(query, 1, 20);
      REQUIRE(after.ok());
      CHECK((*after)[0].size() == 20);  // k live hits despite the removal
      for (const FloatHit& hit : (*after)[0]) CHECK(hit.id != ids[10]);

      // Re-adding the id (with another vector) brings back only that vector.
      const std::vector<float> other(data.begin() + 20 * kDim, data.begin() + 21 * kDim);
      REQUIRE(index->Add(absl::MakeConstSpan(&ids[10], 1), other).ok());
      auto again = index->Search(query, 1, 1);
      REQUIRE(again.ok());
      REQUIRE((*again)[0].size() == 1);
      // Only the new vector can carry the id now (not the old one, score ~1).
      CHECK_FALSE(((*again)[0][0].id == ids[10] && (*again)[0][0].score > 0.999f));
      auto readded = index->Search(other, 1, 2);
      REQUIRE(readded.ok());
      std::vector<int64_t> got;
      for (const FloatHit& h : (*readded)[0]) got.push_back(h.id);
      CHECK(std::count(got.begin(), got.end(), ids[10]) == 1);
      CHECK(std::count(got.begin(), got.end(), ids[20]) == 1);
    }
  }
}

TEST_CASE("FloatIndex rejects wrong dimensions and duplicate ids", "[float_index]") {
  FloatIndexOptions bad;
  bad.dimension = 0;
  CHECK(FloatIndex::Create(bad).status().code() == absl::StatusCode::kInvalidArgument);

  auto index = MakeIndex(1000, FloatIndexKind::kIvfFlat, 16);
  const std::vector<float> data = ClusteredVectors(10, 2, 0.3f, 5);
  const std::vector<int64_t> ids = CallerIds(10);
  const std::vector<float> short_data(data.begin(), data.end() - 1);
  CHECK(index->Add(ids, short_data).code() == absl::StatusCode::kInvalidArgument);
  CHECK(index->size() == 0);
  REQUIRE(index->Add(ids, data).ok());
  CHECK(
      index->Add(absl::MakeConstSpan(ids).subspan(3, 1), absl::MakeConstSpan(data).subspan(0, kDim))
          .code() == absl::StatusCode::kAlreadyExists);
  CHECK(index->size() == 10);
  const std::vector<float> query(kDim + 1, 0.1f);
  auto result = index->Search(query, 1, 5);
  CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(result.status().message().find("dimension 64") != std::string::npos);
}

TEST_CASE("FloatIndex on an empty index returns an empty list per query", "[float_index]") {
  auto index = MakeIndex(1000, FloatIndexKind::kIvfFlat, 16);
  const std::vector<float> queries = ClusteredVectors(3, 1, 0.3f, 6);
  auto result = index->Search(queries, 3, 10);
  REQUIRE(result.ok());
  REQUIRE(result->size() == 3);
  for (const auto& hits : *result) CHECK(hits.empty());
  auto removed = index->Remove(CallerIds(2));
  REQUIRE(removed.ok());
  CHECK(*removed == 0);
}

}  // namespace
}  // namespace hashwatch::index
