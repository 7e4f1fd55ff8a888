// Limits on untrusted media, checked before the expensive work (from the file
// size, the image header or the video container), so a decompression bomb or
// a 10-hour video costs little and a per-file error, never the batch. Plain
// data.
#ifndef HASHWATCH_DECODE_LIMITS_H_
#define HASHWATCH_DECODE_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"

namespace hashwatch {

struct DecodeLimits {
  // Images: width * height from the header. Videos: of one frame.
  int64_t max_pixels = 100'000'000;
  int64_t max_bytes = 256LL * 1024 * 1024;  // size of an encoded image file
  // Videos (read in pieces, never whole into memory):
  int64_t max_video_bytes = 16LL * 1024 * 1024 * 1024;  // file size
  double max_video_seconds = 4 * 3600.0;                // duration, from the header and the frames
  int64_t max_video_frames = 2'000'000;                 // frames decoded (about 18 h at 30 fps)
  double max_decode_seconds = 1800.0;                   // wall-clock time spent decoding one video
};

// The largest values the limits may take. An image is decoded from memory,
// and OpenCV and libavcodec take its size as an int: over 2 GiB - 1 it would
// overflow. Pixel counts far beyond any real image would overflow the
// arithmetic that checks them.
inline constexpr int64_t kMaxImageBytesLimit = 2147483647;          // 2 GiB - 1
inline constexpr int64_t kMaxPixelsLimit = 1'000'000'000'000;       // 10^6 megapixels
inline constexpr int64_t kMaxVideoBytesLimit = int64_t{1} << 50;    // 1 PiB
inline constexpr double kMaxVideoSecondsLimit = 366.0 * 24 * 3600;  // a year
inline constexpr int64_t kMaxVideoFramesLimit = 1'000'000'000;
inline constexpr double kMaxDecodeSecondsLimit = 7.0 * 24 * 3600;  // a week

// OK when every limit is positive and at most its k...Limit above; otherwise
// InvalidArgument naming the limit. Every hasher's Create checks it.
absl::Status ValidateDecodeLimits(const DecodeLimits& limits);

}  // namespace hashwatch

#endif  // HASHWATCH_DECODE_LIMITS_H_
