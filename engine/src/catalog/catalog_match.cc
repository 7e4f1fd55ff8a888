// Catalog::Match*: hash the query, then hand it to the match stage
// (match/frame_matcher.h) with the catalog's indexes as its candidate source.
// The catalog searches and names; the match stage decides.
#include <algorithm>
#include <map>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_candidates.h"
#include "catalog/catalog_impl.h"
#include "match/frame_matcher.h"
#include "match/photo_matcher.h"
#include "media/file_reader.h"
#include "media/image_decoder.h"
#include "signals/local_features.h"
#include "signals/pdq_hash.h"

namespace hashwatch {
namespace {

absl::Status ValidateOptions(const MatchOptions& options) {
  if (options.threshold < 0 || options.threshold > kPdqCodeBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("match threshold ", options.threshold, " is outside 0..", kPdqCodeBits));
  }
  if (options.verify_threshold < 0 || options.verify_threshold > kPdqCodeBits) {
    return absl::InvalidArgumentError(absl::StrCat("verify threshold ", options.verify_threshold,
                                                   " is outside 0..", kPdqCodeBits));
  }
  if (options.min_inliers < 3) return absl::InvalidArgumentError("min_inliers must be at least 3");
  if (options.embedding_candidates < 0 || options.embedding_candidates > 64) {
    return absl::InvalidArgumentError("embedding_candidates must be 0..64");
  }
  if (!(options.min_embedding_score >= -1 && options.min_embedding_score <= 1)) {
    return absl::InvalidArgumentError("min_embedding_score must be -1..1");
  }
  if (options.min_frames < 1) return absl::InvalidArgumentError("min_frames must be at least 1");
  if (options.search_threads < 1 || options.search_threads > 64) {
    return absl::InvalidArgumentError("search_threads must be 1..64");
  }
  return absl::OkStatus();
}

// A query photo's pixels for the verification stage: the decode its signals
// were computed from (HashOptions::verification_pixels: the size local
// features want, both axes alike), or, when only its bytes are at hand,
// decoded again at that size if a candidate needs verifying; each look (the
// whole, or a view) brought to the size its features are extracted at once.
class QueryPixels {
 public:
  QueryPixels(absl::Span<const uint8_t> bytes, const DecodeLimits& limits)
      : bytes_(bytes), limits_(limits) {}
  // Pixels decoded already (by the query hasher, here or in an isolated
  // hash worker); null when none were.
  explicit QueryPixels(std::shared_ptr<const DecodedImage> decoded)
      : decoded_(std::move(decoded)), tried_(true) {
    if (decoded_ == nullptr) {
      decode_status_ =
          absl::InvalidArgumentError("the query could not be decoded for verification");
    }
  }

  absl::StatusOr<signals::LocalFeatures> Features(const ImageView* view, int max_features) {
    absl::StatusOr<const cv::Mat*> look = Look(view);
    if (!look.ok()) return look.status();
    return signals::ExtractLocalFeatures(**look, max_features);
  }

  absl::StatusOr<std::array<uint8_t, 32>> AlignedPdq(const ImageView* view, const cv::Mat& to_query,
                                                     int width, int height) {
    absl::StatusOr<const cv::Mat*> look = Look(view);
    if (!look.ok()) return look.status();
    if (width < 5 || height < 5 || to_query.empty()) {
      return absl::InvalidArgumentError("no transform to align with");
    }
    cv::Mat aligned;
    cv::warpAffine(**look, aligned, to_query, cv::Size(width, height),
                   cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REPLICATE);
    return signals::ComputePdq(aligned).hash;
  }

 private:
  // The look's luma at the size its features are extracted at: the longer
  // side at kFeatureSide, as known images are analysed (a smaller copy, or
  // a picture inside a screenshot, enlarged), so that keypoints form at the
  // same scales on both sides.
  absl::StatusOr<const cv::Mat*> Look(const ImageView* view) {
    if (!tried_) {
      tried_ = true;
      absl::StatusOr<DecodedImage> d =
          media::DecodeImage(bytes_, limits_, signals::kFeatureSide * 3 / 4, /*keep_aspect=*/true);
      if (d.ok()) {
        decoded_ = std::make_shared<const DecodedImage>(*std::move(d));
      } else {
        decode_status_ = d.status();
      }
    }
    if (decoded_ == nullptr) return decode_status_;
    auto it = looks_.find(view);
    if (it != looks_.end()) return &it->second;
    const DecodedImage& image = *decoded_;
    const cv::Mat& luma = image.luma;
    cv::Mat region = luma;
    if (view != nullptr) {
      const double sx = static_cast<double>(luma.cols) / std::max(1, image.width);
      const double sy = static_cast<double>(luma.rows) / std::max(1, image.height);
      const cv::Rect rect =
          cv::Rect(static_cast<int>(view->x * sx), static_cast<int>(view->y * sy),
                   static_cast<int>(view->width * sx), static_cast<int>(view->height * sy)) &
          cv::Rect(0, 0, luma.cols, luma.rows);
      if (rect.width < 16 || rect.height < 16) return absl::InvalidArgumentError("view too small");
      region = luma(rect);
    }
    return &looks_.emplace(view, signals::AtFeatureSide(region)).first->second;
  }

  absl::Span<const uint8_t> bytes_;
  DecodeLimits limits_;
  std::shared_ptr<const DecodedImage> decoded_;
  absl::Status decode_status_;
  bool tried_ = false;
  std::map<const ImageView*, cv::Mat> looks_;
};

// A photo query: its whole PDQ, its views when hashed with them, and its
// bytes (or, from an isolated worker, its pixels) when local features can be
// computed from them for verification.
absl::StatusOr<MatchResult> MatchImage(Catalog::Impl& impl, const Signal& pdq,
                                       const std::vector<ImageView>* views,
                                       const std::vector<float>* embedding,
                                       const absl::Span<const uint8_t>* bytes,
                                       std::shared_ptr<const DecodedImage> pixels,
                                       const MatchOptions& options) {
  if (pdq.type != "pdq" || pdq.hash.size() != kPdqCodeBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MatchSignal needs a PDQ signal of 32 bytes, got '", pdq.type, "' of ", pdq.hash.size()));
  }
  MatchResult result;
  result.quality = pdq.quality;
  bool any_good = pdq.quality < 0 || pdq.quality >= options.min_quality;
  if (views != nullptr && options.query_views) {
    for (const ImageView& v : *views) any_good |= v.pdq.quality >= options.min_quality;
  }
  if (!any_good) {
    result.low_quality = true;
    return result;
  }
  if (absl::Status s = catalog::EnsureFresh(impl); !s.ok()) return s;
  match::PhotoQuery query;
  query.pdq = &pdq;
  query.views = views;
  query.embedding = embedding;
  if (bytes != nullptr || pixels != nullptr) {
    auto looks = pixels != nullptr ? std::make_shared<QueryPixels>(std::move(pixels))
                                   : std::make_shared<QueryPixels>(*bytes, impl.options.limits);
    query.features = [looks](const ImageView* view, int max_features) {
      return looks->Features(view, max_features);
    };
    query.aligned_pdq = [looks](const ImageView* view, const cv::Mat& to_query, int width,
                                int height) {
      return looks->AlignedPdq(view, to_query, width, height);
    };
  }
  result.matches = match::MatchPhoto(
      query, catalog::CatalogCandidates(impl.indexes, &impl.directory, impl.rows.get()),
      {.match = options, .align = {}}, &result.warnings);
  return result;
}

}  // namespace

absl::StatusOr<MatchResult> Catalog::MatchSignal(const Signal& pdq,
                                                 const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  return MatchImage(*impl_, pdq, nullptr, nullptr, nullptr, nullptr, options);
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
    frames.push_back(
        {.start = f.start, .end = f.end, .samples = f.samples, .pdq = &f.pdq, .views = &f.views});
    any_good |= f.pdq.quality < 0 || f.pdq.quality >= options.min_quality;
  }
  result.quality = video.MedianQuality();
  if (!any_good) {
    result.low_quality = true;
    return result;
  }
  if (absl::Status s = catalog::EnsureFresh(*impl_); !s.ok()) return s;
  result.matches = match::MatchFrames(frames, /*query_is_video=*/true,
                                      catalog::CatalogCandidates(impl_->indexes, &impl_->directory),
                                      {.match = options, .align = {}});
  return result;
}

absl::StatusOr<MatchResult> Catalog::MatchBytes(absl::Span<const uint8_t> bytes,
                                                const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (SniffMediaKind(bytes) == MediaKind::kVideo) {
    absl::StatusOr<VideoSignals> video = impl_->query_hasher.video_hasher().HashBytes(bytes);
    if (!video.ok()) return video.status();
    return MatchVideo(*video, options);
  }
  std::shared_ptr<const DecodedImage> pixels;
  absl::StatusOr<ImageSignals> image = impl_->query_hasher.image_hasher().HashBytes(bytes, &pixels);
  if (!image.ok()) return image.status();
  const Signal* pdq = image->Find("pdq");
  if (pdq == nullptr) return absl::InternalError("query hasher returned no PDQ hash");
  return MatchImage(*impl_, *pdq, &image->views, &image->embedding, &bytes, std::move(pixels),
                    options);
}

absl::StatusOr<MatchResult> Catalog::MatchFile(const std::string& path,
                                               const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const DecodeLimits& limits = impl_->options.limits;
  auto named = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  };
  if (impl_->isolated_query_hasher != nullptr) {
    // This process never reads the file: a worker hashes it and sends the
    // signals, and a photo's pixels for verification.
    absl::StatusOr<HashedFile> hashed = impl_->isolated_query_hasher->HashFile(path);
    if (!hashed.ok()) return hashed.status();  // names the path
    if (hashed->signals.kind == MediaKind::kVideo)
      return MatchVideo(hashed->signals.video, options);
    const ImageSignals& image = hashed->signals.image;
    const Signal* pdq = image.Find("pdq");
    if (pdq == nullptr) return named(absl::InternalError("the hash worker returned no PDQ hash"));
    absl::StatusOr<MatchResult> result =
        MatchImage(*impl_, *pdq, &image.views, &image.embedding, nullptr, hashed->pixels, options);
    if (!result.ok()) return named(result.status());
    return result;
  }
  absl::StatusOr<media::RegularFile> file =
      media::RegularFile::Open(path, std::max(limits.max_bytes, limits.max_video_bytes));
  if (!file.ok()) return named(file.status());
  uint8_t head[16] = {};
  absl::StatusOr<size_t> n = file->ReadAt(0, head, sizeof(head));
  if (!n.ok()) return named(n.status());
  if (SniffMediaKind({head, *n}) == MediaKind::kVideo) {
    absl::StatusOr<VideoSignals> video = impl_->query_hasher.video_hasher().HashFile(path);
    if (!video.ok()) return video.status();  // names the path
    return MatchVideo(*video, options);
  }
  absl::StatusOr<std::vector<uint8_t>> bytes = media::ReadFile(path, limits.max_bytes);
  if (!bytes.ok()) return named(bytes.status());
  absl::StatusOr<MatchResult> result = MatchBytes(*bytes, options);
  if (!result.ok()) return named(result.status());
  return result;
}

}  // namespace hashwatch
