// First frame of a GIF, decoded with FFmpeg's libavcodec (OpenCV 4.6 has no
// GIF reader). The caller has checked the screen size against its limits.
// Thread safety: reentrant; each call owns its decoder.
#ifndef HASHWATCH_MEDIA_GIF_DECODER_H_
#define HASHWATCH_MEDIA_GIF_DECODER_H_

#include <opencv2/core.hpp>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::media {

// Returns the first frame as CV_8UC4 BGRA (GIF transparency as alpha 0), to
// be flattened like every other format's alpha (see image_decoder.h).
absl::StatusOr<cv::Mat> DecodeGifFirstFrame(absl::Span<const uint8_t> bytes);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_GIF_DECODER_H_
