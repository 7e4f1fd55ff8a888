// ValidateDecodeLimits: the bounds every limit on untrusted media must keep.
#include "hashwatch/decode_limits.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace hashwatch {
namespace {

// `value` in (0, max]; NaN fails too.
template <typename T>
absl::Status InRange(const char* name, T value, T max) {
  if (value > 0 && value <= max) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, " must be more than 0 and at most ", max, ", got ", value));
}

}  // namespace

absl::Status ValidateDecodeLimits(const DecodeLimits& limits) {
  for (absl::Status s : {
           InRange("the pixel limit (max_pixels)", limits.max_pixels, kMaxPixelsLimit),
           InRange("the image size limit (max_bytes)", limits.max_bytes, kMaxImageBytesLimit),
           InRange("the video size limit (max_video_bytes)", limits.max_video_bytes,
                   kMaxVideoBytesLimit),
           InRange("the video duration limit (max_video_seconds)", limits.max_video_seconds,
                   kMaxVideoSecondsLimit),
           InRange("the video frame limit (max_video_frames)", limits.max_video_frames,
                   kMaxVideoFramesLimit),
           InRange("the decoding time limit (max_decode_seconds)", limits.max_decode_seconds,
                   kMaxDecodeSecondsLimit),
       }) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace hashwatch
