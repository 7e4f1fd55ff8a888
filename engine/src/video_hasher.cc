// VideoHasher: the video pipeline's front door (bytes -> sampled frames ->
// borders removed -> PDQ per frame, runs merged -> VideoSignals).
#include "hashwatch/video_hasher.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hashwatch/signal_type.h"
#include "media/border_detector.h"
#include "media/file_reader.h"
#include "media/video_decoder.h"
#include "signals/file_digests.h"
#include "signals/image_views.h"
#include "signals/pdq_hash.h"

namespace hashwatch {
namespace {

constexpr size_t kDigestPiece = 1 << 20;
// Removed bands may have at most this share of the picture's texture (mean
// |Laplacian|) in a frame: padding measures ~0, blurred fill 0.12-0.23 of the
// picture in most frames (0.49 in a flat moment of the picture), real picture
// ~1 (the other clips of a compilation).
constexpr double kBandTextureShare = 0.5;
// ... in all but this share of the frames the crop was decided from.
constexpr double kBandFramesShare = 0.2;

int PdqDistance(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d += __builtin_popcount(a[i] ^ b[i]);
  return d;
}

// Everything one HashFile/HashBytes call accumulates.
class VideoPipeline {
 public:
  VideoPipeline(const VideoOptions& options, VideoSignals* out) : options_(options), out_(out) {}

  absl::Status OnSample(media::SampledFrame&& sample) {
    if (first_size_.empty()) first_size_ = sample.luma.size();
    if (sample.luma.size() != first_size_) {
      // The stream changed resolution: keep one geometry for the crop.
      cv::resize(sample.luma, sample.luma, first_size_, 0, 0, cv::INTER_AREA);
    }
    if (!options_.remove_borders || decided_) return Hash(sample);
    if (!detector_.has_value()) detector_.emplace(first_size_.width, first_size_.height);
    detector_->AddFrame(sample.luma);
    pending_.push_back(std::move(sample));
    if (static_cast<int>(pending_.size()) >= options_.border_window) return Decide();
    return absl::OkStatus();
  }

  // After the last sample.
  absl::Status Finish() {
    if (!decided_ && !pending_.empty()) return Decide();
    return absl::OkStatus();
  }

  // The crop in the analysed frames' pixels.
  cv::Rect crop() const { return crop_; }
  cv::Size frame_size() const { return first_size_; }

 private:
  absl::Status Decide() {
    decided_ = true;
    crop_ = detector_->ContentRect();
    if (!CropHoldsThroughout(crop_)) crop_ = cv::Rect();
    std::vector<media::SampledFrame> pending = std::move(pending_);
    pending_.clear();
    for (media::SampledFrame& s : pending) {
      if (absl::Status st = Hash(s); !st.ok()) return st;
    }
    return absl::OkStatus();
  }

  // A crop must remove border in (nearly) every frame, not on average: the
  // removed bands must stay much flatter than the picture in at least 80% of
  // the frames it was decided from. This refuses, for example, the bars of
  // one pillarboxed clip in a compilation, whose strong edge and flat black
  // would otherwise cut the picture of every other clip.
  bool CropHoldsThroughout(const cv::Rect& crop) const {
    if (crop.area() == 0 || crop.size() == first_size_) return true;
    int failing = 0;
    cv::Mat lap, mag;
    // The lines within 3 px of the boundary answer to the step between band
    // and picture, not to either: left out of both.
    const cv::Rect frame(cv::Point(0, 0), first_size_);
    const cv::Rect picture_rect = (crop - cv::Point(-3, -3) - cv::Size(6, 6)) & frame;
    const cv::Rect grown = (crop + cv::Point(-3, -3) + cv::Size(6, 6)) & frame;
    cv::Mat picture_mask = cv::Mat::zeros(first_size_, CV_8U);
    cv::Mat band_mask(first_size_, CV_8U, cv::Scalar(1));
    if (picture_rect.area() > 0) picture_mask(picture_rect).setTo(1);
    band_mask(grown).setTo(0);
    if (cv::countNonZero(band_mask) == 0 || cv::countNonZero(picture_mask) == 0) return true;
    for (const media::SampledFrame& s : pending_) {
      cv::Laplacian(s.luma, lap, CV_16S);
      mag = cv::abs(lap);
      const double picture = cv::mean(mag, picture_mask)[0];
      const double band = cv::mean(mag, band_mask)[0];
      // A frame of a flat picture says nothing either way.
      if (picture < 1.0) continue;
      failing += band > kBandTextureShare * picture;
    }
    return failing <= static_cast<int>(kBandFramesShare * static_cast<double>(pending_.size()));
  }

  absl::Status Hash(const media::SampledFrame& sample) {
    cv::Rect rect = crop_.area() > 0 ? crop_ : cv::Rect(cv::Point(0, 0), sample.luma.size());
    rect &= cv::Rect(cv::Point(0, 0), sample.luma.size());
    cv::Mat luma;
    sample.luma(rect).convertTo(luma, CV_32F);
    const signals::PdqResult pdq = signals::ComputePdq(luma, options_.variants);
    std::vector<uint8_t> hash(pdq.hash.begin(), pdq.hash.end());
    ++out_->sampled;
    if (!out_->frames.empty() && options_.segment_distance > 0) {
      VideoFrame& run = out_->frames.back();
      if (PdqDistance(run.pdq.hash, hash) <= options_.segment_distance) {
        run.end = sample.time;
        ++run.samples;
        return absl::OkStatus();
      }
    }
    VideoFrame f;
    f.start = f.end = sample.time;
    f.frame_number = sample.frame_number;
    f.pdq.type = "pdq";
    f.pdq.hash = std::move(hash);
    f.pdq.quality = pdq.quality;
    if (options_.variants) {
      for (const signals::PdqBits& v : pdq.dihedral)
        f.pdq.variants.emplace_back(v.begin(), v.end());
    }
    if (wants_views_ &&
        (views_time_ < 0 || f.start - views_time_ >= options_.view_interval - 1e-6)) {
      views_time_ = f.start;
      DecodedImage frame;
      frame.luma = luma;
      frame.width = luma.cols;
      frame.height = luma.rows;
      f.views = signals::ComputeViews(frame, f.pdq, options_.views, options_.variants);
    }
    out_->frames.push_back(std::move(f));
    return absl::OkStatus();
  }

  const VideoOptions& options_;
  const bool wants_views_ = options_.views.border || options_.views.canvas ||
                            options_.views.regions || options_.views.rotations;
  VideoSignals* out_;
  double views_time_ = -1;  // the last kept frame given views
  cv::Size first_size_;
  std::optional<media::BorderDetector> detector_;
  std::vector<media::SampledFrame> pending_;
  bool decided_ = false;
  cv::Rect crop_;
};

absl::StatusOr<VideoSignals> HashVideo(const VideoOptions& options,
                                       const media::VideoInput& input) {
  VideoSignals out;
  out.sample_interval = options.sample_interval;
  media::VideoDecodeOptions decode;
  decode.sample_interval = options.sample_interval;
  decode.limits = options.limits;
  VideoPipeline pipeline(options, &out);
  media::VideoInfo info;
  absl::Status decoded = media::DecodeVideo(
      input, decode, [&](media::SampledFrame&& s) { return pipeline.OnSample(std::move(s)); },
      &info);
  if (!decoded.ok()) return decoded;
  if (absl::Status s = pipeline.Finish(); !s.ok()) return s;

  out.container = info.container;
  out.codec = info.codec;
  out.width = info.width;
  out.height = info.height;
  out.rotation = info.rotation;
  out.frame_rate = info.frame_rate;
  out.duration = info.duration;
  out.decoded_frames = info.decoded_frames;
  out.corrupt_packets = info.corrupt_packets;
  out.truncated = info.truncated;
  // The crop, from the analysed frame's pixels to full resolution.
  const cv::Size analysed = pipeline.frame_size();
  const cv::Rect crop = pipeline.crop();
  if (crop.area() > 0 && analysed.width > 0 && analysed.height > 0) {
    const double sx = static_cast<double>(out.width) / analysed.width;
    const double sy = static_cast<double>(out.height) / analysed.height;
    out.crop_x = static_cast<int>(std::lround(crop.x * sx));
    out.crop_y = static_cast<int>(std::lround(crop.y * sy));
    out.crop_width =
        std::min(out.width - out.crop_x, static_cast<int>(std::lround(crop.width * sx)));
    out.crop_height =
        std::min(out.height - out.crop_y, static_cast<int>(std::lround(crop.height * sy)));
  } else {
    out.crop_width = out.width;
    out.crop_height = out.height;
  }
  if (info.truncated) {
    out.warnings.push_back(absl::StrFormat(
        "damaged or truncated: decoding stopped after %.1f s (%s); the frames before are hashed",
        info.duration, info.truncation));
  }
  if (info.corrupt_packets > 0) {
    out.warnings.push_back(absl::StrCat(info.corrupt_packets, " corrupt packets were skipped"));
  }
  if (info.header_duration > 0 &&
      std::abs(info.header_duration - info.duration) > std::max(2.0, 0.1 * info.header_duration)) {
    out.warnings.push_back(
        absl::StrFormat("the container gives a duration of %.1f s, the frames span %.1f s",
                        info.header_duration, info.duration));
  }
  return out;
}

}  // namespace

int VideoSignals::MedianQuality() const {
  std::vector<int> q;
  for (const VideoFrame& f : frames) q.push_back(f.pdq.quality);
  if (q.empty()) return 0;
  std::nth_element(q.begin(), q.begin() + static_cast<ptrdiff_t>(q.size() / 2), q.end());
  return q[q.size() / 2];
}

const Signal* VideoSignals::FindDigest(std::string_view type) const {
  for (const Signal& s : digests) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

absl::StatusOr<VideoHasher> VideoHasher::Create(const VideoOptions& options) {
  if (!(options.sample_interval >= 0) || options.sample_interval > 3600) {
    return absl::InvalidArgumentError(
        "the sampling interval must be in [0, 3600] seconds (0: every frame)");
  }
  if (!(options.view_interval >= 0) || options.view_interval > 3600) {
    return absl::InvalidArgumentError("the view interval must be in [0, 3600] seconds");
  }
  if (options.segment_distance < 0 || options.segment_distance > 64) {
    return absl::InvalidArgumentError("the segment distance must be in 0..64 bits");
  }
  if (options.border_window < 1) {
    return absl::InvalidArgumentError("the border window must be at least one sample");
  }
  if (absl::Status s = ValidateDecodeLimits(options.limits); !s.ok()) return s;
  if (absl::StatusOr<signals::FileDigests> d = signals::FileDigests::Create(options.digests);
      !d.ok()) {
    return d.status();
  }
  return VideoHasher(options);
}

absl::StatusOr<VideoSignals> VideoHasher::HashFile(const std::string& path) const {
  auto named = [&](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat(path, ": ", s.message()));
  };
  absl::StatusOr<media::RegularFile> file =
      media::RegularFile::Open(path, options_.limits.max_video_bytes);
  if (!file.ok()) return named(file.status());
  absl::StatusOr<VideoSignals> out = HashVideo(options_, {.file = &*file, .bytes = {}});
  if (!out.ok()) return named(out.status());
  // Digests in a second sequential pass (the decoder seeks; the page cache
  // makes this pass cheap).
  absl::StatusOr<signals::FileDigests> digests = signals::FileDigests::Create(options_.digests);
  if (!digests.ok()) return digests.status();
  std::vector<uint8_t> piece(kDigestPiece);
  for (int64_t offset = 0;;) {
    absl::StatusOr<size_t> n = file->ReadAt(offset, piece.data(), piece.size());
    if (!n.ok()) return named(n.status());
    if (*n == 0) break;
    digests->Update({piece.data(), *n});
    offset += static_cast<int64_t>(*n);
  }
  absl::StatusOr<std::vector<Signal>> values = digests->Finish();
  if (!values.ok()) return values.status();
  out->digests = *std::move(values);
  out->size = file->size();
  return out;
}

absl::StatusOr<VideoSignals> VideoHasher::HashBytes(absl::Span<const uint8_t> bytes) const {
  absl::StatusOr<VideoSignals> out = HashVideo(options_, {.file = nullptr, .bytes = bytes});
  if (!out.ok()) return out;
  absl::StatusOr<signals::FileDigests> digests = signals::FileDigests::Create(options_.digests);
  if (!digests.ok()) return digests.status();
  digests->Update(bytes);
  absl::StatusOr<std::vector<Signal>> values = digests->Finish();
  if (!values.ok()) return values.status();
  out->digests = *std::move(values);
  out->size = static_cast<int64_t>(bytes.size());
  return out;
}

}  // namespace hashwatch
