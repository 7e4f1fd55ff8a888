#include "catalog/index_batch.h"

#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"
#include "signals/embedding_blob.h"

namespace hashwatch::catalog {

void IndexBatch::Add(int64_t signal, int64_t item, absl::Span<const uint8_t> hash,
                     std::optional<double> frame_time, std::optional<double> frame_end,
                     std::optional<int64_t> frame_samples, bool view) {
  switch (PdqHomeOf(view, frame_time.has_value())) {
    case PdqHome::kViews:
      view_ids_.push_back(item);
      view_codes_.insert(view_codes_.end(), hash.begin(), hash.end());
      return;
    case PdqHome::kImages:
      image_ids_.push_back(item);
      image_codes_.insert(image_codes_.end(), hash.begin(), hash.end());
      return;
    case PdqHome::kFrames: break;
  }
  frame_ids_.push_back(signal);
  frame_codes_.insert(frame_codes_.end(), hash.begin(), hash.end());
  FrameRef ref;
  ref.item = item;
  ref.start = *frame_time;
  ref.end = std::max(*frame_time, frame_end.value_or(*frame_time));
  ref.samples = static_cast<int>(std::clamp<int64_t>(frame_samples.value_or(1), 1, INT32_MAX));
  ref.view = view;
  frame_refs_.emplace_back(signal, ref);
}

void IndexBatch::AddEmbedding(int64_t item, absl::Span<const float> vector) {
  if (embedding_dimension_ == 0) embedding_dimension_ = static_cast<int>(vector.size());
  if (static_cast<int>(vector.size()) != embedding_dimension_) {
    ++foreign_embeddings_;
    return;
  }
  embedding_ids_.push_back(item);
  embedding_rows_.insert(embedding_rows_.end(), vector.begin(), vector.end());
}

absl::Status IndexBatch::AddRow(const IndexedRowView& row, const std::string& where) {
  const int64_t item = row.item;
  if (row.type == signals::kEmbeddingSignalType) {
    if (embedding_model_ == 0) return absl::OkStatus();
    absl::StatusOr<signals::StoredEmbedding> e = signals::UnpackEmbedding(row.hash);
    if (!e.ok()) {
      return absl::DataLossError(absl::StrCat(where, ": item ", item, ": ", e.status().message()));
    }
    if (e->model != embedding_model_) {
      ++foreign_embeddings_;
      return absl::OkStatus();
    }
    AddEmbedding(item, e->vector);
    return absl::OkStatus();
  }
  if (row.hash.size() != kPdqCodeBytes) {
    return absl::DataLossError(absl::StrCat(where, ": item ", item, " has a ", row.hash.size(),
                                            "-byte PDQ hash (expected 32)"));
  }
  Add(row.signal, item, row.hash, row.frame_time, row.frame_end, row.frame_samples,
      row.type == kViewSignalType);
  return absl::OkStatus();
}

absl::Status IndexBatch::ApplyTo(CatalogIndexes* indexes) const {
  for (const auto& [signal, ref] : frame_refs_) {
    if (absl::Status s = indexes->frame_directory.Set(signal, ref); !s.ok()) return s;
  }
  if (absl::Status s = indexes->images.Add(image_ids_, image_codes_); !s.ok()) return s;
  if (absl::Status s = indexes->views.Add(view_ids_, view_codes_); !s.ok()) return s;
  if (absl::Status s =
          indexes->embeddings.Add(embedding_ids_, embedding_rows_, embedding_dimension_);
      !s.ok()) {
    return s;
  }
  return indexes->frames.Add(frame_ids_, frame_codes_);
}

}  // namespace hashwatch::catalog
