// EmbeddingIndex: the catalog's index of known images' embeddings (signal
// type "embedding"), by item id, over index::FloatIndex (exact below its
// exact_limit, approximate above: docs/benchmarks.md "Embedding float
// index"). Its dimension is set by the first vectors added.
//
// Thread safety: safe for concurrent readers and writers (a shared mutex:
// searches share it, Add and Remove take it alone), like the PDQ indexes.
#ifndef HASHWATCH_CATALOG_EMBEDDING_INDEX_H_
#define HASHWATCH_CATALOG_EMBEDDING_INDEX_H_

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "index/float_index.h"

namespace hashwatch::catalog {

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
  std::string kind() const;

 private:
  mutable std::shared_mutex mu_;
  std::unique_ptr<index::FloatIndex> index_;  // null until the first Add
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_EMBEDDING_INDEX_H_
