// VideoFrameSampler: decoded frames -> samples at k x interval of the
// video's timeline (interval 0: every frame at its own time). Each sample is
// the frame on screen at that moment (the last presented at or before it),
// converted only then to a small upright 8-bit grey frame (FrameConverter).
// It also answers the decoder's questions of which frames a sample can need
// (Needed, LastMomentBefore), so that the others are not decoded.
//
// Thread safety: one sampler per decode; not shared.
#ifndef HASHWATCH_MEDIA_VIDEO_FRAME_SAMPLER_H_
#define HASHWATCH_MEDIA_VIDEO_FRAME_SAMPLER_H_

#include <functional>
#include <opencv2/core.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "media/av_resources.h"
#include "media/video_decoder.h"

namespace hashwatch::media {

// One decoded frame -> a grey image whose shorter displayed side is at most
// `side` pixels (sample aspect ratio applied), turned upright by `rotation`
// degrees clockwise (0, 90, 180, 270). Reuses its swscale context.
class FrameConverter {
 public:
  FrameConverter(int side, int rotation) : side_(side), rotation_(rotation) {}
  absl::StatusOr<cv::Mat> Convert(const AVFrame* frame);

 private:
  int side_;
  int rotation_;
  SwsPtr sws_;
};

class VideoFrameSampler {
 public:
  // `on_frame` receives the samples in time order; `info` (duration, decoded
  // frame count, frame rate) is read and updated. Both must outlive the
  // sampler.
  VideoFrameSampler(const VideoDecodeOptions& options, double frame_duration, int rotation,
                    const std::function<absl::Status(SampledFrame&&)>& on_frame, VideoInfo* info);

  // Whether the first frame has been seen (times are counted from it).
  bool started() const { return started_; }
  // The first frame's presentation time in the stream's clock, seconds.
  double origin() const { return origin_; }
  // Whether a frame presented at `t` (seconds from the first frame) could be
  // on screen at a sample moment: then it must be decoded.
  bool Needed(double t) const;
  // The last sample moment strictly before `t`; -1 when there is none.
  double LastMomentBefore(double t) const;

  // A decoded frame presented at `raw_time` (stream clock, seconds): emits
  // the samples that end before it. OutOfRange beyond the duration limit.
  absl::Status Add(AVFrame* frame, double raw_time);
  // At the end: the last frame stays on screen for one frame duration.
  absl::Status Finish();

 private:
  bool every_frame() const { return options_.sample_interval == 0; }
  // A frame's number in the video: from its time at the average frame rate
  // (skipped frames count too), else the count of frames decoded.
  int64_t FrameNumber(double t) const;
  // Emits the held frame for every sample moment before `t`.
  absl::Status EmitUntil(double t);

  const VideoDecodeOptions& options_;
  const double frame_duration_;
  const double frame_rate_;
  FrameConverter converter_;
  const std::function<absl::Status(SampledFrame&&)>& on_frame_;
  VideoInfo* info_;
  FramePtr held_;
  bool held_valid_ = false;
  bool held_converted_ = false;
  double held_time_ = 0;
  int64_t held_number_ = 0;
  cv::Mat held_luma_;
  bool started_ = false;
  double origin_ = 0;
  double last_time_ = 0;
  int64_t next_ = 0;
};

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_VIDEO_FRAME_SAMPLER_H_
