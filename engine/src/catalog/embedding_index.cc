#include "catalog/embedding_index.h"

#include <mutex>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace hashwatch::catalog {

absl::Status EmbeddingIndex::Add(absl::Span<const int64_t> items, absl::Span<const float> vectors,
                                 int dimension) {
  if (items.empty()) return absl::OkStatus();
  if (dimension <= 0 || vectors.size() != items.size() * static_cast<size_t>(dimension)) {
    return absl::InvalidArgumentError("embedding vectors do not match their items");
  }
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (index_ == nullptr) {
    index::FloatIndexOptions options;
    options.dimension = dimension;
    absl::StatusOr<std::unique_ptr<index::FloatIndex>> created = index::FloatIndex::Create(options);
    if (!created.ok()) return created.status();
    index_ = *std::move(created);
  } else if (index_->dimension() != dimension) {
    return absl::FailedPreconditionError(absl::StrCat("embeddings of dimension ", dimension,
                                                      " cannot join an index of dimension ",
                                                      index_->dimension()));
  }
  // Items already held (or repeated here) keep their first vector.
  std::vector<int64_t> ids;
  std::vector<float> rows;
  absl::flat_hash_set<int64_t> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(items[i]).second) continue;
    ids.push_back(items[i]);
    rows.insert(rows.end(), vectors.begin() + static_cast<std::ptrdiff_t>(i * dimension),
                vectors.begin() + static_cast<std::ptrdiff_t>((i + 1) * dimension));
  }
  absl::Status s = index_->Add(ids, rows);
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    // Rare (a Refresh that re-reads an item): add one by one, skipping those held.
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::Status one =
          index_->Add(absl::MakeConstSpan(&ids[i], 1),
                      absl::MakeConstSpan(rows.data() + i * static_cast<size_t>(dimension),
                                          static_cast<size_t>(dimension)));
      if (!one.ok() && one.code() != absl::StatusCode::kAlreadyExists) return one;
    }
    return absl::OkStatus();
  }
  return s;
}

void EmbeddingIndex::Remove(absl::Span<const int64_t> items) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (index_ != nullptr) (void)index_->Remove(items);
}

std::vector<std::pair<int64_t, float>> EmbeddingIndex::Search(absl::Span<const float> query, int k,
                                                              double min_score) const {
  std::vector<std::pair<int64_t, float>> out;
  std::shared_lock<std::shared_mutex> lock(mu_);
  if (index_ == nullptr || k <= 0 || query.size() != static_cast<size_t>(index_->dimension())) {
    return out;
  }
  absl::StatusOr<std::vector<std::vector<index::FloatHit>>> hits = index_->Search(query, 1, k);
  if (!hits.ok() || hits->empty()) return out;
  for (const index::FloatHit& h : (*hits)[0]) {
    if (h.score >= min_score) out.emplace_back(h.id, h.score);
  }
  return out;
}

size_t EmbeddingIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return index_ == nullptr ? 0 : index_->size();
}

std::string EmbeddingIndex::kind() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return index_ == nullptr ? "none" : index_->kind();
}

}  // namespace hashwatch::catalog
