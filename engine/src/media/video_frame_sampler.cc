#include "media/video_frame_sampler.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace hashwatch::media {

absl::StatusOr<cv::Mat> FrameConverter::Convert(const AVFrame* frame) {
  const int w = frame->width, h = frame->height;
  if (w <= 0 || h <= 0) return absl::InvalidArgumentError("a decoded frame has no pixels");
  // Displayed size: the sample aspect ratio stretches the stored pixels.
  double display_w = w;
  if (frame->sample_aspect_ratio.num > 0 && frame->sample_aspect_ratio.den > 0) {
    display_w = w * av_q2d(frame->sample_aspect_ratio);
  }
  const double scale = std::min(1.0, side_ / std::min(display_w, static_cast<double>(h)));
  const int dw = std::max(1, static_cast<int>(std::lround(display_w * scale)));
  const int dh = std::max(1, static_cast<int>(std::lround(h * scale)));
  sws_.reset(sws_getCachedContext(sws_.release(), w, h, static_cast<AVPixelFormat>(frame->format),
                                  dw, dh, AV_PIX_FMT_GRAY8, SWS_AREA, nullptr, nullptr, nullptr));
  if (!sws_) {
    const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported pixel format ", name != nullptr ? name : "unknown"));
  }
  cv::Mat grey(dh, dw, CV_8UC1);
  uint8_t* dst[4] = {grey.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(grey.step), 0, 0, 0};
  sws_scale(sws_.get(), frame->data, frame->linesize, 0, h, dst, dst_stride);
  switch (rotation_) {
    case 90: cv::rotate(grey, grey, cv::ROTATE_90_CLOCKWISE); break;
    case 180: cv::rotate(grey, grey, cv::ROTATE_180); break;
    case 270: cv::rotate(grey, grey, cv::ROTATE_90_COUNTERCLOCKWISE); break;
    default: break;
  }
  return grey;
}

VideoFrameSampler::VideoFrameSampler(const VideoDecodeOptions& options, double frame_duration,
                                     int rotation,
                                     const std::function<absl::Status(SampledFrame&&)>& on_frame,
                                     VideoInfo* info)
    : options_(options),
      frame_duration_(frame_duration),
      frame_rate_(info->frame_rate),
      converter_(options.frame_side, rotation),
      on_frame_(on_frame),
      info_(info),
      held_(av_frame_alloc()) {}

bool VideoFrameSampler::Needed(double t) const {
  if (!started_ || every_frame()) return true;
  // The frame on screen at a moment was presented at most one frame duration
  // before it; half a frame more absorbs timestamp rounding.
  const double window = 1.5 * frame_duration_;
  const double k = std::ceil((t - 1e-9) / options_.sample_interval);
  return k * options_.sample_interval < t + window;
}

double VideoFrameSampler::LastMomentBefore(double t) const {
  if (every_frame()) return t;
  const double k = std::ceil(t / options_.sample_interval - 1e-9) - 1;
  return k < 0 ? -1 : k * options_.sample_interval;
}

int64_t VideoFrameSampler::FrameNumber(double t) const {
  if (frame_rate_ > 0) return static_cast<int64_t>(std::llround(t * frame_rate_));
  return info_->decoded_frames - 1;
}

absl::Status VideoFrameSampler::Add(AVFrame* frame, double raw_time) {
  if (!started_) {
    started_ = true;
    origin_ = raw_time;
  }
  double t = raw_time - origin_;
  if (held_valid_ && t < held_time_) t = held_time_;  // out-of-order timestamps: keep order
  if (t > options_.limits.max_video_seconds) {
    return absl::OutOfRangeError(absl::StrFormat("frame at %.0f s is beyond the limit of %.0f s", t,
                                                 options_.limits.max_video_seconds));
  }
  if (every_frame()) {
    absl::StatusOr<cv::Mat> grey = converter_.Convert(frame);
    if (!grey.ok()) return grey.status();
    SampledFrame sample;
    sample.time = sample.frame_time = t;
    sample.frame_number = FrameNumber(t);
    sample.luma = *std::move(grey);
    last_time_ = t;
    ++next_;
    return on_frame_(std::move(sample));
  }
  if (held_valid_) {
    if (absl::Status s = EmitUntil(t); !s.ok()) return s;
  }
  av_frame_unref(held_.get());
  if (av_frame_ref(held_.get(), frame) < 0) return absl::ResourceExhaustedError("out of memory");
  held_valid_ = true;
  held_time_ = t;
  held_number_ = FrameNumber(t);
  held_converted_ = false;
  return absl::OkStatus();
}

absl::Status VideoFrameSampler::Finish() {
  if (every_frame() && next_ > 0) info_->duration = last_time_ + frame_duration_;
  if (!held_valid_) return absl::OkStatus();
  info_->duration = held_time_ + frame_duration_;
  return EmitUntil(held_time_ + frame_duration_);
}

absl::Status VideoFrameSampler::EmitUntil(double t) {
  for (;;) {
    const double moment = static_cast<double>(next_) * options_.sample_interval;
    if (moment >= t - 1e-6) return absl::OkStatus();
    if (!held_converted_) {
      absl::StatusOr<cv::Mat> grey = converter_.Convert(held_.get());
      if (!grey.ok()) return grey.status();
      held_luma_ = *std::move(grey);
      held_converted_ = true;
    }
    SampledFrame sample;
    sample.time = moment;
    sample.frame_time = held_time_;
    sample.frame_number = held_number_;
    sample.luma = held_luma_;
    if (absl::Status s = on_frame_(std::move(sample)); !s.ok()) return s;
    ++next_;
  }
}

}  // namespace hashwatch::media
