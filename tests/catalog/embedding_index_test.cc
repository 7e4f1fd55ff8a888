// The catalog's embedding index: whitening learned from a catalog's own
// vectors when it opens large enough, copies found first, withdrawals
// honoured, a second model's dimension refused.
#include "catalog/embedding_index.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <random>

namespace hashwatch::catalog {
namespace {

// n unit vectors of dimension d that share a strong common component (as
// raw CNN activations do: all positive), each with its own detail.
std::vector<float> CommonPlusDetail(size_t n, int d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(0, 1);
  std::vector<float> common(static_cast<size_t>(d));
  for (float& x : common) x = std::abs(noise(rng)) + 2.0f;
  std::vector<float> out;
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> v(static_cast<size_t>(d));
    double norm = 0;
    for (int k = 0; k < d; ++k) {
      v[static_cast<size_t>(k)] = common[static_cast<size_t>(k)] + 0.5f * noise(rng);
      norm += v[static_cast<size_t>(k)] * v[static_cast<size_t>(k)];
    }
    for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

TEST_CASE("A large enough catalog whitens its embeddings and finds copies first",
          "[embedding][catalog]") {
  constexpr int kDim = 64;
  constexpr size_t kItems = 600;
  const std::vector<float> vectors = CommonPlusDetail(kItems, kDim, 7);
  std::vector<int64_t> items(kItems);
  for (size_t i = 0; i < kItems; ++i) items[i] = static_cast<int64_t>(i + 1);
  EmbeddingIndex index;
  REQUIRE(index.Add(items, vectors, kDim).ok());
  CHECK(index.size() == kItems);
  CHECK_THAT(index.kind(), Catch::Contains("whitened 64 -> 64"));

  // A copy: the item's vector with a little noise.
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0, 0.002f);
  int first = 0;
  for (size_t i = 0; i < 50; ++i) {
    std::vector<float> q(vectors.begin() + static_cast<std::ptrdiff_t>(i * kDim),
                         vectors.begin() + static_cast<std::ptrdiff_t>((i + 1) * kDim));
    for (float& x : q) x += noise(rng);
    const auto hits = index.Search(q, 4, -1);
    REQUIRE(!hits.empty());
    first += hits[0].first == items[i];
    // Whitened, unrelated vectors are far apart: the second is well below the copy.
    if (hits.size() > 1) CHECK(hits[1].second < hits[0].second - 0.2);
  }
  CHECK(first == 50);

  // Withdrawn items stop coming back at once.
  index.Remove({items[0]});
  const std::vector<float> q0(vectors.begin(), vectors.begin() + kDim);
  for (const auto& [item, score] : index.Search(q0, 4, -1)) CHECK(item != items[0]);

  // Vectors of another length are refused.
  CHECK(!index.Add({int64_t{9999}}, std::vector<float>(32, 0.1f), 32).ok());
}

TEST_CASE("A small catalog searches raw embeddings", "[embedding][catalog]") {
  constexpr int kDim = 16;
  const std::vector<float> vectors = CommonPlusDetail(10, kDim, 3);
  std::vector<int64_t> items(10);
  for (size_t i = 0; i < 10; ++i) items[i] = static_cast<int64_t>(i + 1);
  EmbeddingIndex index;
  REQUIRE(index.Add(items, vectors, kDim).ok());
  CHECK_THAT(index.kind(), Catch::Contains("raw 16"));
  const std::vector<float> q(vectors.begin() + 3 * kDim, vectors.begin() + 4 * kDim);
  const auto hits = index.Search(q, 1, 0.5);
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].first == 4);
  CHECK(hits[0].second == Approx(1.0).epsilon(1e-4));
}

}  // namespace
}  // namespace hashwatch::catalog
