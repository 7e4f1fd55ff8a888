#include "catalog/catalog_candidates.h"

#include <algorithm>

namespace hashwatch::catalog {
namespace {

match::Candidate FrameCandidate(int64_t signal, const FrameRef& frame, int distance) {
  match::Candidate c;
  c.item = frame.item;
  c.distance = distance;
  c.is_frame = true;
  c.frame = signal;
  c.ref_start = frame.start;
  c.ref_end = frame.end;
  c.ref_samples = frame.samples;
  c.view = frame.view;
  return c;
}

}  // namespace

void CatalogCandidates::Search(const uint8_t* code, int threshold,
                               std::vector<match::Candidate>* out) const {
  AppendImages(indexes_.images, code, threshold, out);
  for (const IndexHit& hit : indexes_.frames.RangeSearch(code, threshold)) {
    const std::optional<FrameRef> frame = indexes_.frame_directory.Lookup(hit.id);
    if (!frame.has_value() || !IsOpen(frame->item)) continue;
    out->push_back(FrameCandidate(hit.id, *frame, hit.distance));
  }
}

void CatalogCandidates::FramesNear(
    int64_t item, double t0, double t1,
    std::vector<std::pair<match::Candidate, std::array<uint8_t, 32>>>* out) const {
  if (!IsOpen(item)) return;
  for (int64_t signal : indexes_.frame_directory.FramesBetween(item, t0, t1)) {
    const std::optional<FrameRef> frame = indexes_.frame_directory.Lookup(signal);
    std::array<uint8_t, 32> code;
    if (!frame.has_value() || !indexes_.frames.FindCode(signal, code.data())) continue;
    out->emplace_back(FrameCandidate(signal, *frame, 0), code);
  }
}

double CatalogCandidates::VideoEnd(int64_t item) const {
  return indexes_.frame_directory.ItemEnd(item);
}

void CatalogCandidates::SearchViews(const uint8_t* code, int threshold,
                                    std::vector<match::Candidate>* out) const {
  AppendImages(indexes_.views, code, threshold, out);
}

std::vector<std::pair<int64_t, float>> CatalogCandidates::SearchEmbedding(
    absl::Span<const float> vector, int k, double min_score) const {
  std::vector<std::pair<int64_t, float>> out = indexes_.embeddings.Search(vector, k, min_score);
  out.erase(
      std::remove_if(out.begin(), out.end(), [&](const auto& hit) { return !IsOpen(hit.first); }),
      out.end());
  return out;
}

void CatalogCandidates::AppendImages(const PdqIndex& index, const uint8_t* code, int threshold,
                                     std::vector<match::Candidate>* out) const {
  for (const IndexHit& hit : index.RangeSearch(code, threshold)) {
    if (!IsOpen(hit.id)) continue;
    match::Candidate c;
    c.item = hit.id;
    c.distance = hit.distance;
    out->push_back(c);
  }
}

absl::StatusOr<std::vector<uint8_t>> CatalogCandidates::LocalFeatures(int64_t item) const {
  if (features_ == nullptr || !IsOpen(item)) return std::vector<uint8_t>();
  return features_->LocalFeatures(item);
}

bool CatalogCandidates::KnownCode(int64_t item, uint8_t* out32) const {
  return IsOpen(item) && indexes_.images.FindCode(item, out32);
}

std::optional<CaseId> CatalogCandidates::OpenCase(int64_t item) const {
  if (directory_ == nullptr) return CaseId("-");
  std::optional<CaseDirectory::Owner> owner = directory_->Lookup(item);
  if (!owner.has_value() || owner->withdrawn) return std::nullopt;
  return std::move(owner->case_id);
}

}  // namespace hashwatch::catalog
