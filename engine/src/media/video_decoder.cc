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
#include "media/av_resources.h"

namespace hashwatch::media {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kAvioBufferSize = 64 * 1024;

struct AvioFree {
  void operator()(AVIOContext* io) const {
    if (io != nullptr) av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

// The AVIO callbacks' view of the input, and the wall-clock deadline that
// also interrupts blocking reads.
struct Reader {
  VideoInput input;
  int64_t size = 0;
  int64_t pos = 0;
  Clock::time_point deadline;
  std::string io_error;
};

int ReadPacket(void* opaque, uint8_t* buf, int size) {
  Reader& r = *static_cast<Reader*>(opaque);
  if (size <= 0 || r.pos >= r.size) return AVERROR_EOF;
  const size_t n = static_cast<size_t>(std::min<int64_t>(size, r.size - r.pos));
  if (r.input.file != nullptr) {
    absl::StatusOr<size_t> got = r.input.file->ReadAt(r.pos, buf, n);
    if (!got.ok()) {
      r.io_error = std::string(got.status().message());
      return AVERROR(EIO);
    }
    if (*got == 0) return AVERROR_EOF;  // the file shrank
    r.pos += static_cast<int64_t>(*got);
    return static_cast<int>(*got);
  }
  std::memcpy(buf, r.input.bytes.data() + r.pos, n);
  r.pos += static_cast<int64_t>(n);
  return static_cast<int>(n);
}

int64_t Seek(void* opaque, int64_t offset, int whence) {
  Reader& r = *static_cast<Reader*>(opaque);
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return r.size;
  int64_t target = offset;
  if (whence == SEEK_CUR) target = r.pos + offset;
  if (whence == SEEK_END) target = r.size + offset;
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END) return AVERROR(EINVAL);
  if (target < 0) return AVERROR(EINVAL);
  r.pos = target;
  return target;
}

int Interrupt(void* opaque) {
  return Clock::now() > static_cast<Reader*>(opaque)->deadline ? 1 : 0;
}

// Demuxers that follow references (HLS playlists, concat lists, ...) would
// open other files or URLs named inside the crawled file: refused.
int RefuseIoOpen(AVFormatContext*, AVIOContext**, const char* url, int, AVDictionary**) {
  (void)url;
  return AVERROR(EPERM);
}

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

// Converts one decoded frame to a small upright grey image.
class FrameConverter {
 public:
  FrameConverter(int side, int rotation) : side_(side), rotation_(rotation) {}

  absl::StatusOr<cv::Mat> Convert(const AVFrame* frame) {
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

 private:
  int side_;
  int rotation_;
  SwsPtr sws_;
};

// Turns the decoded frames into samples at k * interval: each sample is the
// frame on screen at that moment.
class Sampler {
 public:
  Sampler(const VideoDecodeOptions& options, double frame_duration, int rotation,
          const std::function<absl::Status(SampledFrame&&)>& on_frame, VideoInfo* info)
      : options_(options),
        frame_duration_(frame_duration),
        frame_rate_(info->frame_rate),
        converter_(options.frame_side, rotation),
        on_frame_(on_frame),
        info_(info),
        held_(av_frame_alloc()) {}

  bool started() const { return started_; }
  // The last sample moment strictly before `t` (seconds from the first
  // frame); -1 when there is none.
  double LastMomentBefore(double t) const {
    if (every_frame()) return t;
    const double k = std::ceil(t / options_.sample_interval - 1e-9) - 1;
    return k < 0 ? -1 : k * options_.sample_interval;
  }
  // A frame's number in the video: from its time at the average frame rate
  // (skipped frames count too), else the count of frames decoded.
  int64_t FrameNumber(double t) const {
    if (frame_rate_ > 0) return static_cast<int64_t>(std::llround(t * frame_rate_));
    return info_->decoded_frames - 1;
  }
  // Interval 0: every decoded frame is a sample, at its own time.
  bool every_frame() const { return options_.sample_interval == 0; }
  double origin() const { return origin_; }

  // Whether a frame presented at `t` (seconds from the first frame) could be
  // on screen at a sample moment: then it must be decoded.
  bool Needed(double t) const {
    if (!started_ || every_frame()) return true;
    // The frame on screen at a moment was presented at most one frame
    // duration before it; half a frame more absorbs timestamp rounding.
    const double window = 1.5 * frame_duration_;
    const double k = std::ceil((t - 1e-9) / options_.sample_interval);
    return k * options_.sample_interval < t + window;
  }

  absl::Status Add(AVFrame* frame, double raw_time) {
    if (!started_) {
      started_ = true;
      origin_ = raw_time;
    }
    double t = raw_time - origin_;
    if (held_valid_ && t < held_time_) t = held_time_;  // out-of-order timestamps: keep order
    if (t > options_.limits.max_video_seconds) {
      return LimitError(absl::StrFormat("frame at %.0f s is beyond the limit of %.0f s", t,
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
      if (absl::Status s = EmitUntil(t, /*inclusive=*/false); !s.ok()) return s;
    }
    av_frame_unref(held_.get());
    if (av_frame_ref(held_.get(), frame) < 0) return absl::ResourceExhaustedError("out of memory");
    held_valid_ = true;
    held_time_ = t;
    held_number_ = FrameNumber(t);
    held_converted_ = false;
    return absl::OkStatus();
  }

  // At the end: the last frame stays on screen for one frame duration.
  absl::Status Finish() {
    if (every_frame() && next_ > 0) info_->duration = last_time_ + frame_duration_;
    if (!held_valid_) return absl::OkStatus();
    info_->duration = held_time_ + frame_duration_;
    return EmitUntil(held_time_ + frame_duration_, /*inclusive=*/false);
  }

 private:
  // Emits the held frame for every sample moment before `t`.
  absl::Status EmitUntil(double t, bool inclusive) {
    for (;;) {
      const double moment = next_ * options_.sample_interval;
      if (inclusive ? moment > t + 1e-6 : moment >= t - 1e-6) return absl::OkStatus();
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

  Reader reader;
  reader.input = input;
  reader.size =
      input.file != nullptr ? input.file->size() : static_cast<int64_t>(input.bytes.size());
  const Clock::time_point start = Clock::now();
  reader.deadline = start + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(options.limits.max_decode_seconds));
  if (reader.size == 0) return absl::InvalidArgumentError("empty file");
  if (reader.size > options.limits.max_video_bytes) {
    return LimitError(absl::StrCat("file is ", reader.size, " bytes, over the video limit of ",
                                   options.limits.max_video_bytes));
  }

  auto* io_buffer = static_cast<uint8_t*>(av_malloc(kAvioBufferSize));
  if (io_buffer == nullptr) return absl::ResourceExhaustedError("out of memory");
  std::unique_ptr<AVIOContext, AvioFree> io(
      avio_alloc_context(io_buffer, kAvioBufferSize, 0, &reader, ReadPacket, nullptr, Seek));
  if (!io) {
    av_free(io_buffer);
    return absl::ResourceExhaustedError("out of memory");
  }
  AVFormatContext* raw_format = avformat_alloc_context();
  if (raw_format == nullptr) return absl::ResourceExhaustedError("out of memory");
  raw_format->pb = io.get();
  raw_format->flags |= AVFMT_FLAG_CUSTOM_IO;
  raw_format->io_open = RefuseIoOpen;
  raw_format->interrupt_callback = {Interrupt, &reader};
  if (int err = avformat_open_input(&raw_format, nullptr, nullptr, nullptr); err < 0) {
    // avformat_open_input freed the context.
    if (!reader.io_error.empty()) return absl::UnavailableError(reader.io_error);
    return absl::InvalidArgumentError(
        absl::StrCat("not a supported image or video (", AvError(err), ")"));
  }
  FormatContextPtr format(raw_format);
  info->container = format->iformat->name;
  if (int err = avformat_find_stream_info(format.get(), nullptr); err < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(info->container, ": cannot read the streams (", AvError(err), ")"));
  }
  int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
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
  Sampler sampler(options, frame_duration, info->rotation, on_frame, info);
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
  bool at_end = false;
  auto read_one = [&]() -> bool {
    for (;;) {
      PacketPtr p(av_packet_alloc());
      if (!p) {
        at_end = true;
        return false;
      }
      const int err = av_read_frame(format.get(), p.get());
      if (err < 0) {
        if (err != AVERROR_EOF) {
          info->truncated = true;
          info->truncation = !reader.io_error.empty() ? reader.io_error : AvError(err);
        } else if (format->pb != nullptr && format->pb->error < 0) {
          info->truncated = true;
          info->truncation = AvError(format->pb->error);
        }
        at_end = true;
        return false;
      }
      if (p->stream_index != index) continue;
      ahead.push_back(std::move(p));
      return true;
    }
  };
  const bool shortcuts = !options.decode_every_frame && options.sample_interval > 0;
  // Presentation time (from the first frame) of the key frame that ends the
  // group of pictures being decoded; unknown for the last group or when the
  // group is longer than the read-ahead.
  std::optional<double> group_end;
  constexpr size_t kMaxAhead = 2048;

  for (;;) {
    if (Clock::now() > reader.deadline) {
      return LimitError(absl::StrFormat("decoding took over %.0f s (the time limit)",
                                        options.limits.max_decode_seconds));
    }
    if (ahead.empty() && (at_end || !read_one())) break;
    AVPacket* packet = ahead.front().get();
    if (shortcuts && (packet->flags & AV_PKT_FLAG_KEY)) {
      // A new group: find where it ends.
      group_end.reset();
      for (size_t k = 1;; ++k) {
        while (k >= ahead.size() && !at_end && ahead.size() < kMaxAhead && read_one()) {
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
