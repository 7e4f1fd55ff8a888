#include "catalog/embedding_index.h"

#include <algorithm>
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
    input_dimension_ = dimension;
    if (items.size() >= kMinWhitening) {
      // At most kWhiteningSample vectors, evenly spread, keep learning to
      // a fraction of a second however large the catalog.
      const size_t n = items.size(), step = (n + kWhiteningSample - 1) / kWhiteningSample;
      std::vector<float> sample;
      for (size_t i = 0; i < n; i += step) {
        const auto row =
            vectors.subspan(i * static_cast<size_t>(dimension), static_cast<size_t>(dimension));
        sample.insert(sample.end(), row.begin(), row.end());
      }
      const size_t rows = sample.size() / static_cast<size_t>(dimension);
      const int dims = std::min<int>(kWhitenedDimensions, static_cast<int>(rows / 2));
      absl::StatusOr<signals::EmbeddingWhitening> w = signals::EmbeddingWhitening::Learn(
          sample, dimension, std::min(dims, dimension), kWhiteningPower);
      if (w.ok()) whitening_.emplace(*std::move(w));
    }
    index::FloatIndexOptions options;
    options.dimension = whitening_.has_value() ? whitening_->output_dimension() : dimension;
    absl::StatusOr<std::unique_ptr<index::FloatIndex>> created = index::FloatIndex::Create(options);
    if (!created.ok()) return created.status();
    index_ = *std::move(created);
  } else if (input_dimension_ != dimension) {
    return absl::FailedPreconditionError(absl::StrCat("embeddings of dimension ", dimension,
                                                      " cannot join an index of dimension ",
                                                      input_dimension_));
  }
  // Items already held (or repeated here) keep their first vector.
  std::vector<int64_t> ids;
  std::vector<float> rows;
  absl::flat_hash_set<int64_t> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(items[i]).second) continue;
    ids.push_back(items[i]);
    const std::vector<float> v = Indexed(
        vectors.subspan(i * static_cast<size_t>(dimension), static_cast<size_t>(dimension)));
    rows.insert(rows.end(), v.begin(), v.end());
  }
  const size_t indexed = rows.size() / std::max<size_t>(ids.size(), 1);
  absl::Status s = index_->Add(ids, rows);
  if (s.code() == absl::StatusCode::kAlreadyExists) {
    // Rare (a Refresh that re-reads an item): add one by one, skipping those held.
    for (size_t i = 0; i < ids.size(); ++i) {
      absl::Status one = index_->Add(absl::MakeConstSpan(&ids[i], 1),
                                     absl::MakeConstSpan(rows.data() + i * indexed, indexed));
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
  if (index_ == nullptr || k <= 0 || query.size() != static_cast<size_t>(input_dimension_)) {
    return out;
  }
  const std::vector<float> q = Indexed(query);
  absl::StatusOr<std::vector<std::vector<index::FloatHit>>> hits = index_->Search(q, 1, k);
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
  if (index_ == nullptr) return "none";
  if (!whitening_.has_value()) return absl::StrCat(index_->kind(), ", raw ", input_dimension_);
  return absl::StrCat(index_->kind(), ", whitened ", input_dimension_, " -> ",
                      whitening_->output_dimension());
}

std::vector<float> EmbeddingIndex::Indexed(absl::Span<const float> v) const {
  if (!whitening_.has_value()) return std::vector<float>(v.begin(), v.end());
  return whitening_->Apply(v);
}

}  // namespace hashwatch::catalog
