// Catalog::Match*: hash the query, then hand it to the match stage
// (match/frame_matcher.h) with the catalog's indexes as its candidate source.
// The catalog searches and names; the match stage decides.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_candidates.h"
#include "catalog/catalog_impl.h"
#include "match/frame_matcher.h"

namespace hashwatch {
namespace {

absl::Status ValidateOptions(const MatchOptions& options) {
  if (options.threshold < 0 || options.threshold > kPdqCodeBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("match threshold ", options.threshold, " is outside 0..", kPdqCodeBits));
  }
  if (options.min_frames < 1) return absl::InvalidArgumentError("min_frames must be at least 1");
  if (options.search_threads < 1 || options.search_threads > 64) {
    return absl::InvalidArgumentError("search_threads must be 1..64");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MatchResult> Catalog::MatchSignal(const Signal& pdq,
                                                 const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (pdq.type != "pdq" || pdq.hash.size() != kPdqCodeBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MatchSignal needs a PDQ signal of 32 bytes, got '", pdq.type, "' of ", pdq.hash.size()));
  }
  MatchResult result;
  result.quality = pdq.quality;
  if (pdq.quality >= 0 && pdq.quality < options.min_quality) {
    result.low_quality = true;
    return result;
  }
  const std::vector<match::QueryFrame> frames = {{.start = 0, .end = 0, .samples = 1, .pdq = &pdq}};
  result.matches = match::MatchFrames(frames, /*query_is_video=*/false,
                                      catalog::CatalogCandidates(impl_->indexes, &impl_->directory),
                                      {.match = options, .align = {}});
  return result;
}

absl::StatusOr<MatchResult> Catalog::MatchVideo(const VideoSignals& video,
                                                const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  MatchResult result;
  result.video = true;
  result.duration = video.duration;
  result.frames = static_cast<int64_t>(video.frames.size());
  result.samples = video.sampled;
  result.warnings = video.warnings;
  std::vector<match::QueryFrame> frames;
  bool any_good = false;
  for (const VideoFrame& f : video.frames) {
    if (f.pdq.type != "pdq" || f.pdq.hash.size() != kPdqCodeBytes) {
      return absl::InvalidArgumentError("MatchVideo needs PDQ frames of 32 bytes");
    }
    frames.push_back({.start = f.start, .end = f.end, .samples = f.samples, .pdq = &f.pdq});
    any_good |= f.pdq.quality < 0 || f.pdq.quality >= options.min_quality;
  }
  result.quality = video.MedianQuality();
  if (!any_good) {
    result.low_quality = true;
    return result;
  }
  result.matches = match::MatchFrames(frames, /*query_is_video=*/true,
                                      catalog::CatalogCandidates(impl_->indexes, &impl_->directory),
                                      {.match = options, .align = {}});
  return result;
}

namespace {

absl::StatusOr<MatchResult> MatchMedia(const Catalog& catalog, absl::StatusOr<MediaSignals> signals,
                                       const MatchOptions& options) {
  if (!signals.ok()) return signals.status();
  if (signals->kind == MediaKind::kVideo) return catalog.MatchVideo(signals->video, options);
  const Signal* pdq = signals->image.Find("pdq");
  if (pdq == nullptr) return absl::InternalError("query hasher returned no PDQ hash");
  return catalog.MatchSignal(*pdq, options);
}

}  // namespace

absl::StatusOr<MatchResult> Catalog::MatchBytes(absl::Span<const uint8_t> bytes,
                                                const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  return MatchMedia(*this, impl_->query_hasher.HashBytes(bytes), options);
}

absl::StatusOr<MatchResult> Catalog::MatchFile(const std::string& path,
                                               const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  return MatchMedia(*this, impl_->query_hasher.HashFile(path), options);  // names the path
}

}  // namespace hashwatch
