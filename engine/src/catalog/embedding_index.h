// EmbeddingIndex: the catalog's index of known images' embeddings (signal
// type "embedding"), by item id, over index::FloatIndex (exact below its
// exact_limit, approximate above: docs/benchmarks.md "Embedding float
// index"). Its dimension is set by the first vectors added.
//
// Whitening: when the first vectors added are at least kMinWhitening (a
// catalog opening), a PCA whitening (signals/embedding_whitening.h) is
// learned from them, min(kWhitenedDimensions, n / 2) dimensions, and every
// vector added or searched afterwards is whitened with it, for the life of
// this index: the catalog's own photos are the reference set, so the
// whitening follows what the catalog holds. A smaller catalog searches the
// raw vectors (cosine), which still rank copies near the top.
//
// Thread safety: safe for concurrent readers and writers (a shared mutex:
// searches share it, Add and Remove take it alone), like the PDQ indexes.
#ifndef HASHWATCH_CATALOG_EMBEDDING_INDEX_H_
#define HASHWATCH_CATALOG_EMBEDDING_INDEX_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "index/float_index.h"
#include "signals/embedding_whitening.h"

namespace hashwatch::catalog {

inline constexpr size_t kMinWhitening = 256;
inline constexpr size_t kWhiteningSample = 20000;
inline constexpr int kWhitenedDimensions = 256;
inline constexpr double kWhiteningPower = 0.5;

class EmbeddingIndex {
 public:
  // `vectors` holds items.size() vectors of `dimension` floats. An item
  // already present keeps its first vector (an image enrolled once has one).
  absl::Status Add(absl::Span<const int64_t> items, absl::Span<const float> vectors, int dimension);
  void Remove(absl::Span<const int64_t> items);
  // Up to k items nearest the query (best first) with cosine >= min_score.
  // Nothing when the index is empty or the query's length differs.
  std::vector<std::pair<int64_t, float>> Search(absl::Span<const float> query, int k,
                                                double min_score) const;
  size_t size() const;
  // e.g. "flat-ip, whitened 384 -> 179".
  std::string kind() const;

 private:
  // The vector as indexed (whitened when a whitening was learned).
  std::vector<float> Indexed(absl::Span<const float> v) const;

  mutable std::shared_mutex mu_;
  std::unique_ptr<index::FloatIndex> index_;  // null until the first Add
  int input_dimension_ = 0;
  std::optional<signals::EmbeddingWhitening> whitening_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_EMBEDDING_INDEX_H_
