// DecodeVideo: an encoded video (a file or bytes in memory) -> small grey
// frames sampled at fixed moments of its timeline, safely and with no more
// decoding than the sampling needs.
//
// Input: libavformat recognises the container by content (never by name)
// through a custom AVIO context over the file or the bytes, so a pipeline
// never writes crawled content to disk. Demuxers that would open other files
// or URLs (playlists, concat lists) are refused that access.
//
// Sampling is by time, not by frame number: sample k is the frame on screen at
// time k * interval (the last frame whose presentation time is <= that
// moment), times counted from the first frame. A copy at another frame rate
// therefore samples the same moments (within one frame).
//
// Speed (docs/benchmarks.md "Video" has the measurements): one
// decoder thread (parallelism comes from decoding several files at once);
// frames that no sample needs are dropped inside the decoder when nothing
// refers to them (skip_frame = AVDISCARD_NONREF, decided per packet from its
// timestamp); packets are read ahead to the next key frame, and the tail of
// a group of pictures after its last sample moment (beyond the frames a
// reordered B-frame may still refer to) is not decoded at all, since the next
// group starts afresh from its key frame; sparse sampling skips the loop
// filter; and only the luma of a chosen frame is converted, straight to a
// small 8-bit grey frame (swscale), rotated upright from the stream's display
// matrix.
//
// Hostile input: size, frame-size and duration limits are checked from the
// container before decoding; frame count, timeline and wall-clock limits
// while decoding. Each breach is an OutOfRange error naming the limit.
// Packets the decoder rejects are skipped and counted; a file that ends early
// or breaks off gives the frames before the break, with `truncated` set.
//
// Thread safety: reentrant; each call uses its own FFmpeg contexts.
#ifndef HASHWATCH_MEDIA_VIDEO_DECODER_H_
#define HASHWATCH_MEDIA_VIDEO_DECODER_H_

#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "hashwatch/decode_limits.h"
#include "media/file_reader.h"

namespace hashwatch::media {

struct VideoDecodeOptions {
  // Seconds between samples; 0 samples every decoded frame at its own time.
  double sample_interval = 1.0;
  // A sampled frame is reduced (never enlarged) so its shorter side is this
  // many pixels.
  int frame_side = 256;
  DecodeLimits limits;
  // Turns the decoding shortcuts off (every frame decoded in full, loop filter
  // on): the baseline the benchmark compares against, and a check that the
  // shortcuts do not change the frames chosen.
  bool decode_every_frame = false;
};

// What the container and the decoder said about the video.
struct VideoInfo {
  std::string container;  // libavformat's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;      // e.g. "h264"
  int width = 0;          // displayed size (after rotation), full resolution
  int height = 0;
  int rotation = 0;            // degrees clockwise applied to make it upright
  double frame_rate = 0;       // average, from the container (0 when unknown)
  double header_duration = 0;  // from the container (0 when unknown)
  double duration = 0;         // measured: last frame's end, from the first frame
  int64_t decoded_frames = 0;
  int64_t corrupt_packets = 0;
  bool truncated = false;  // reading stopped at damage before the end
  std::string truncation;  // why, when truncated
};

struct SampledFrame {
  double time = 0;        // the sampled moment, seconds from the first frame
  double frame_time = 0;  // presentation time of the frame shown then
  // That frame's number in the video (its time x the average frame rate;
  // the count of decoded frames when the rate is unknown).
  int64_t frame_number = 0;
  cv::Mat luma;  // CV_8UC1, upright, shorter side <= frame_side
};

// Where the encoded bytes are: an open file or a buffer (one of the two).
struct VideoInput {
  const RegularFile* file = nullptr;
  absl::Span<const uint8_t> bytes;
};

// Calls `on_frame` for each sample in time order; an error it returns stops
// decoding and is returned. `info` is filled as far as decoding got, also on
// error. InvalidArgument for data that is not a decodable video ("no video
// stream" for audio-only files), OutOfRange for a limit.
absl::Status DecodeVideo(const VideoInput& input, const VideoDecodeOptions& options,
                         const std::function<absl::Status(SampledFrame&&)>& on_frame,
                         VideoInfo* info);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_VIDEO_DECODER_H_
