// CatalogIndexes and IndexBatch: where a stored PDQ signal is indexed, decided
// in one place for every path that feeds the indexes (opening, Refresh,
// enrolment, import).
//
// - An image's (or an imported hash's) PDQ goes into `images`, under its item
//   id: a search names the item.
// - A stored view of an image (a region or the picture inside its borders,
//   type "pdq_view") goes into `views`, under its item id too: a search
//   names the item, and that it was found through a view.
// - A video frame's PDQ (a signal with a frame time) goes into `frames`,
//   under its signal id, and `frame_directory` maps that id to the item and
//   the frame's run of the timeline: a search names the moment. A stored
//   view of a frame (type "pdq_view" with a frame time) goes there too,
//   marked as a view in the directory.
// - An image's embedding (type "embedding", signals/embedding_blob.h) goes
//   into `embeddings` under its item id, when it was made by the catalog's
//   embedding model (others are counted and left out: vectors of another
//   model are not comparable).
//
// Thread safety: CatalogIndexes' members are safe for concurrent readers and
// writers (see each); an IndexBatch is filled and applied by one thread.
#ifndef HASHWATCH_CATALOG_INDEX_BATCH_H_
#define HASHWATCH_CATALOG_INDEX_BATCH_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "catalog/embedding_index.h"
#include "catalog/frame_directory.h"
#include "catalog/row_store.h"
#include "index/pdq_index.h"

namespace hashwatch::catalog {

// Which index a stored PDQ signal belongs in (the rules above); the one
// place that decides it, for the batches and for Verify.
enum class PdqHome { kImages, kViews, kFrames };
inline PdqHome PdqHomeOf(bool view, bool has_frame_time) {
  if (has_frame_time) return PdqHome::kFrames;
  return view ? PdqHome::kViews : PdqHome::kImages;
}

struct CatalogIndexes {
  PdqIndex images;  // ids: item ids
  PdqIndex views;   // ids: item ids
  PdqIndex frames;  // ids: signal ids
  FrameDirectory frame_directory;
  EmbeddingIndex embeddings;  // ids: item ids
};

class IndexBatch {
 public:
  // `embedding_model`: the fingerprint of the catalog's embedding model
  // (EmbeddingModel::fingerprint); 0 when it has none: embeddings are then
  // not indexed.
  explicit IndexBatch(uint32_t embedding_model = 0) : embedding_model_(embedding_model) {}

  // A stored PDQ signal. `frame_time` set makes it a video frame; `view`
  // a stored view of an image or of that frame.
  void Add(int64_t signal, int64_t item, absl::Span<const uint8_t> hash,
           std::optional<double> frame_time, std::optional<double> frame_end,
           std::optional<int64_t> frame_samples, bool view = false);
  // An image's embedding, L2-normalised.
  void AddEmbedding(int64_t item, absl::Span<const float> vector);
  // The same from a stored row (RowStore's loads and change reads).
  // DataLoss, naming `where`, when a PDQ hash is not 32 bytes or an
  // embedding is malformed.
  absl::Status AddRow(const IndexedRowView& row, const std::string& where);

  // Frames' directory entries first (so a hit can always be placed), then
  // the indexes.
  absl::Status ApplyTo(CatalogIndexes* indexes) const;

  size_t images() const { return image_ids_.size(); }
  size_t frames() const { return frame_ids_.size(); }
  size_t embeddings() const { return embedding_ids_.size(); }
  // Embeddings of another model than the catalog's, left out.
  size_t foreign_embeddings() const { return foreign_embeddings_; }

 private:
  uint32_t embedding_model_;
  int embedding_dimension_ = 0;
  size_t foreign_embeddings_ = 0;
  std::vector<int64_t> embedding_ids_;
  std::vector<float> embedding_rows_;
  std::vector<int64_t> image_ids_;
  std::vector<uint8_t> image_codes_;
  std::vector<int64_t> view_ids_;
  std::vector<uint8_t> view_codes_;
  std::vector<int64_t> frame_ids_;
  std::vector<uint8_t> frame_codes_;
  std::vector<std::pair<int64_t, FrameRef>> frame_refs_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_INDEX_BATCH_H_
