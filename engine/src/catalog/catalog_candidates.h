// CatalogCandidates: the catalog's indexes as the match stage sees them
// (match::CandidateSource). Photos come from the image index (by item id);
// video frames from the frame index, placed in time by the frame directory.
// With a CaseDirectory, only items of open cases are returned, checked after
// each search so that a withdrawal that completed meanwhile still removes
// them; without one (benchmarks over bare indexes) every item counts as open,
// in case "-".
//
// Thread safety: as the indexes and directories it reads: safe from many
// threads at once, also while they are written.
#ifndef HASHWATCH_CATALOG_CATALOG_CANDIDATES_H_
#define HASHWATCH_CATALOG_CATALOG_CANDIDATES_H_

#include "catalog/case_directory.h"
#include "catalog/index_batch.h"
#include "catalog/row_store.h"
#include "match/frame_matcher.h"

namespace hashwatch::catalog {

class CatalogCandidates final : public match::CandidateSource {
 public:
  // `features` may be null (no verification: LocalFeatures returns none).
  CatalogCandidates(const CatalogIndexes& indexes, const CaseDirectory* directory,
                    const RowStore* features = nullptr)
      : indexes_(indexes), directory_(directory), features_(features) {}

  void Search(const uint8_t* code, int threshold,
              std::vector<match::Candidate>* out) const override;
  void FramesNear(
      int64_t item, double t0, double t1,
      std::vector<std::pair<match::Candidate, std::array<uint8_t, 32>>>* out) const override;
  double VideoEnd(int64_t item) const override;
  std::optional<CaseId> OpenCase(int64_t item) const override;
  void SearchViews(const uint8_t* code, int threshold,
                   std::vector<match::Candidate>* out) const override;
  std::vector<std::pair<int64_t, float>> SearchEmbedding(absl::Span<const float> vector, int k,
                                                         double min_score) const override;
  absl::StatusOr<std::vector<uint8_t>> LocalFeatures(int64_t item) const override;
  bool KnownCode(int64_t item, uint8_t* out32) const override;

 private:
  // The open items an index keyed by item id holds within `threshold`.
  void AppendImages(const PdqIndex& index, const uint8_t* code, int threshold,
                    std::vector<match::Candidate>* out) const;
  bool IsOpen(int64_t item) const { return directory_ == nullptr || directory_->IsOpen(item); }

  const CatalogIndexes& indexes_;
  const CaseDirectory* directory_;
  const RowStore* features_;  // LocalFeatures only
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_CANDIDATES_H_
