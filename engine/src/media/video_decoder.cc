#include "media/video_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <chrono>
#include <cmath>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "media/av_input.h"
#include "media/av_resources.h"
#include "media/video_frame_sampler.h"

namespace hashwatch::media {
namespace {

using Clock = std::chrono::steady_clock;

// Degrees clockwise that make the stored picture upright (0, 90, 180, 270).
int StreamRotation(const AVStream* stream) {
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (matrix == nullptr || size < 9 * sizeof(int32_t)) return 0;
  const double anticlockwise = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(anticlockwise)) return 0;
  int clockwise = static_cast<int>(std::lround(-anticlockwise / 90.0)) * 90;
  clockwise %= 360;
  if (clockwise < 0) clockwise += 360;
  return clockwise;
}

double Seconds(int64_t ts, AVRational tb) {
  return static_cast<double>(ts) * av_q2d(tb);
}

absl::Status LimitError(const std::string& what) {
  return absl::OutOfRangeError(what);
}

absl::Status ValidateOptions(const VideoDecodeOptions& o) {
  if (!(o.sample_interval >= 0) || o.sample_interval > 3600) {
    return absl::InvalidArgumentError(
        "the sampling interval must be in [0, 3600] seconds (0: every frame)");
  }
  if (o.frame_side < 16 || o.frame_side > 4096) {
    return absl::InvalidArgumentError("the sampled frame side must be in 16..4096 pixels");
  }
  const DecodeLimits& l = o.limits;
  if (l.max_pixels <= 0 || l.max_video_bytes <= 0 || !(l.max_video_seconds > 0) ||
      l.max_video_frames <= 0 || !(l.max_decode_seconds > 0)) {
    return absl::InvalidArgumentError("video limits must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeVideo(const VideoInput& input, const VideoDecodeOptions& options,
                         const std::function<absl::Status(SampledFrame&&)>& on_frame,
                         VideoInfo* info) {
  QuietAvLog();
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  *info = VideoInfo{};

  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline =
      start + std::chrono::duration_cast<Clock::duration>(
                  std::chrono::duration<double>(options.limits.max_decode_seconds));
  const int64_t size =
      input.file != nullptr ? input.file->size() : static_cast<int64_t>(input.bytes.size());
  if (size == 0) return absl::InvalidArgumentError("empty file");
  if (size > options.limits.max_video_bytes) {
    return LimitError(absl::StrCat("file is ", size, " bytes, over the video limit of ",
                                   options.limits.max_video_bytes));
  }
  absl::StatusOr<std::unique_ptr<AvInput>> opened = AvInput::Open(input, deadline);
  if (!opened.ok()) return opened.status();
  AVFormatContext* const format = (*opened)->format();
  const std::string& io_error = (*opened)->io_error();
  info->container = format->iformat->name;
  if (int err = avformat_find_stream_info(format, nullptr); err < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(info->container, ": cannot read the streams (", AvError(err), ")"));
  }
  int index = av_find_best_stream(format, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index >= 0 && (format->streams[index]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
    index = -1;  // a cover picture of an audio file, not video
  }
  if (index < 0) {
    bool audio = false;
    for (unsigned i = 0; i < format->nb_streams; ++i) {
      audio |= format->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    }
    return absl::InvalidArgumentError(
        audio ? absl::StrCat(info->container, ": no video stream (audio only)")
              : absl::StrCat(info->container, ": no video stream"));
  }
  AVStream* stream = format->streams[index];
  const AVCodecParameters* par = stream->codecpar;
  info->codec = avcodec_get_name(par->codec_id);
  info->rotation = StreamRotation(stream);
  const bool sideways = info->rotation == 90 || info->rotation == 270;
  info->width = sideways ? par->height : par->width;
  info->height = sideways ? par->width : par->height;
  if (stream->avg_frame_rate.num > 0 && stream->avg_frame_rate.den > 0) {
    info->frame_rate = av_q2d(stream->avg_frame_rate);
  }
  if (format->duration > 0 && format->duration != AV_NOPTS_VALUE) {
    info->header_duration = static_cast<double>(format->duration) / AV_TIME_BASE;
  } else if (stream->duration > 0 && stream->duration != AV_NOPTS_VALUE) {
    info->header_duration = Seconds(stream->duration, stream->time_base);
  }
  if (static_cast<int64_t>(par->width) * par->height > options.limits.max_pixels) {
    return LimitError(absl::StrCat("frames of ", par->width, "x", par->height,
                                   " pixels are over the limit of ", options.limits.max_pixels));
  }
  if (info->header_duration > options.limits.max_video_seconds) {
    return LimitError(
        absl::StrFormat("the container gives a duration of %.0f s, over the limit "
                        "of %.0f s",
                        info->header_duration, options.limits.max_video_seconds));
  }

  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (codec == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(info->container, ": no decoder for video codec ", info->codec));
  }
  CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) return absl::ResourceExhaustedError("out of memory");
  if (int err = avcodec_parameters_to_context(decoder.get(), par); err < 0) {
    return absl::InvalidArgumentError(absl::StrCat("bad codec parameters: ", AvError(err)));
  }
  decoder->pkt_timebase = stream->time_base;
  decoder->thread_count = 1;  // parallelism is across files (see the header)
  // Sparse sampling (a query): no loop filter at all. It smooths block edges
  // that PDQ's 64x64 averaging removes anyway; skipping it on reference
  // frames too lets small errors accumulate until the next key frame, which
  // moved sampled frames' PDQ by a few bits against fully decoded
  // references (docs/video.md) for a third less decoding time. Every-frame
  // sampling (enrolment) decodes in full.
  if (!options.decode_every_frame && options.sample_interval > 0) {
    decoder->skip_loop_filter = AVDISCARD_ALL;
  }
  if (int err = avcodec_open2(decoder.get(), codec, nullptr); err < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot open the ", info->codec, " decoder: ", AvError(err)));
  }

  const double frame_duration = info->frame_rate > 0 ? 1.0 / info->frame_rate : 1.0 / 25;
  VideoFrameSampler sampler(options, frame_duration, info->rotation, on_frame, info);
  FramePtr frame(av_frame_alloc());
  if (!frame) return absl::ResourceExhaustedError("out of memory");
  double last_time = -frame_duration;

  // Receives every frame the decoder has ready.
  auto drain = [&]() -> absl::Status {
    for (;;) {
      const int err = avcodec_receive_frame(decoder.get(), frame.get());
      if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return absl::OkStatus();
      if (err < 0) {
        ++info->corrupt_packets;
        return absl::OkStatus();
      }
      ++info->decoded_frames;
      if (info->decoded_frames > options.limits.max_video_frames) {
        av_frame_unref(frame.get());
        return LimitError(absl::StrCat("more than ", options.limits.max_video_frames,
                                       " frames (the frame limit)"));
      }
      // The header's size was checked before decoding; a stream may change
      // size part-way (a hostile one to a huge one).
      if (static_cast<int64_t>(frame->width) * frame->height > options.limits.max_pixels) {
        const int w = frame->width, h = frame->height;
        av_frame_unref(frame.get());
        return LimitError(absl::StrCat("a frame of ", w, "x", h, " pixels is over the limit of ",
                                       options.limits.max_pixels));
      }
      double t = last_time + frame_duration;
      if (frame->best_effort_timestamp != AV_NOPTS_VALUE) {
        t = Seconds(frame->best_effort_timestamp, stream->time_base);
      }
      last_time = t;
      absl::Status s = sampler.Add(frame.get(), t);
      av_frame_unref(frame.get());
      if (!s.ok()) return s;
    }
  };

  // Video packets read ahead up to the next key frame, so that the end of
  // the current group of pictures is known (the header's "tail" rule).
  std::deque<PacketPtr> ahead;
  size_t ahead_bytes = 0;
  bool at_end = false;
  auto read_one = [&]() -> bool {
    for (;;) {
      PacketPtr p(av_packet_alloc());
      if (!p) {
        at_end = true;
        return false;
      }
      const int err = av_read_frame(format, p.get());
      if (err < 0) {
        if (err != AVERROR_EOF) {
          info->truncated = true;
          info->truncation = !io_error.empty() ? io_error : AvError(err);
        } else if (format->pb != nullptr && format->pb->error < 0) {
          info->truncated = true;
          info->truncation = AvError(format->pb->error);
        }
        at_end = true;
        return false;
      }
      if (p->stream_index != index) continue;
      ahead_bytes += static_cast<size_t>(p->size);
      ahead.push_back(std::move(p));
      return true;
    }
  };
  const bool shortcuts = !options.decode_every_frame && options.sample_interval > 0;
  // Presentation time (from the first frame) of the key frame that ends the
  // group of pictures being decoded; unknown for the last group or when the
  // group is longer than the read-ahead.
  std::optional<double> group_end;
  // The read-ahead's bounds (a group longer than this is decoded without
  // the tail rule): packets, and bytes, so a file of huge packets cannot
  // make it hold much memory.
  constexpr size_t kMaxAhead = 2048;
  constexpr size_t kMaxAheadBytes = 64 << 20;

  for (;;) {
    if (Clock::now() > deadline) {
      return LimitError(absl::StrFormat("decoding took over %.0f s (the time limit)",
                                        options.limits.max_decode_seconds));
    }
    if (ahead.empty() && (at_end || !read_one())) break;
    AVPacket* packet = ahead.front().get();
    if (shortcuts && (packet->flags & AV_PKT_FLAG_KEY)) {
      // A new group: find where it ends.
      group_end.reset();
      for (size_t k = 1;; ++k) {
        while (k >= ahead.size() && !at_end && ahead.size() < kMaxAhead &&
               ahead_bytes < kMaxAheadBytes && read_one()) {
        }
        if (k >= ahead.size()) break;
        const AVPacket* q = ahead[k].get();
        if ((q->flags & AV_PKT_FLAG_KEY) && q->pts != AV_NOPTS_VALUE && sampler.started()) {
          group_end = Seconds(q->pts, stream->time_base) - sampler.origin();
          break;
        }
      }
    }
    if (shortcuts) {
      // Frames nothing refers to and no sample shows are dropped in the
      // decoder, before their pixels are reconstructed; so is the tail of a
      // group after its last sample moment (the next group starts afresh
      // from its key frame), beyond the frames a reordered B-frame may
      // still need.
      // (Tail packets are not sent at all: some decoders, MJPEG's among
      // them, stall on AVDISCARD_ALL.)
      AVDiscard skip = AVDISCARD_DEFAULT;
      bool tail = false;
      if (packet->pts != AV_NOPTS_VALUE && sampler.started()) {
        const double t = Seconds(packet->pts, stream->time_base) - sampler.origin();
        const double reorder = (decoder->has_b_frames + 2) * frame_duration;
        tail = group_end.has_value() && t < *group_end &&
               t > sampler.LastMomentBefore(*group_end) + reorder;
        if (!sampler.Needed(t)) skip = AVDISCARD_NONREF;
      }
      if (tail) {
        ahead_bytes -= static_cast<size_t>(packet->size);
        ahead.pop_front();
        continue;
      }
      decoder->skip_frame = skip;
    }
    int sent = avcodec_send_packet(decoder.get(), packet);
    if (sent == AVERROR(EAGAIN)) {
      // The decoder holds output (or, for some decoders, the previous packet
      // still): take its frames, then the packet goes in.
      if (absl::Status s = drain(); !s.ok()) return s;
      sent = avcodec_send_packet(decoder.get(), packet);
    }
    ahead_bytes -= static_cast<size_t>(packet->size);
    ahead.pop_front();
    if (sent < 0) ++info->corrupt_packets;
    if (absl::Status s = drain(); !s.ok()) return s;
  }
  decoder->skip_frame = AVDISCARD_DEFAULT;
  avcodec_send_packet(decoder.get(), nullptr);
  if (absl::Status s = drain(); !s.ok()) return s;
  if (info->decoded_frames == 0) {
    return absl::InvalidArgumentError(
        info->truncated
            ? absl::StrCat(info->container, " ", info->codec,
                           ": no frame could be decoded before the damage (", info->truncation, ")")
            : absl::StrCat(info->container, " ", info->codec, ": no frame could be decoded"));
  }
  return sampler.Finish();
}

}  // namespace hashwatch::media
