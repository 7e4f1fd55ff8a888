// ImageProbe: what an encoded image is, read from its header alone.
//
// Sniffs the format from the leading bytes (never the file name), reads the
// pixel size and EXIF orientation, and checks the container structure far
// enough to reject a truncated file before any pixel is decoded (a JPEG must
// have an end-of-image marker after its first scan; a PNG's chunks must fit in
// the file and end with IEND). Costs microseconds: no decompression.
//
// Thread safety: pure functions.
#ifndef HASHWATCH_MEDIA_IMAGE_PROBE_H_
#define HASHWATCH_MEDIA_IMAGE_PROBE_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::media {

enum class ImageFormat { kJpeg, kPng, kGif, kBmp, kWebp, kTiff };
std::string_view ImageFormatName(ImageFormat format);

struct ImageInfo {
  ImageFormat format = ImageFormat::kJpeg;
  int64_t width = 0;  // as stored, before orientation
  int64_t height = 0;
  int orientation = 1;  // EXIF orientation 1..8; 1 when absent
};

// The image format the leading bytes announce (16 bytes suffice), or none:
// how images are told from videos, by content.
std::optional<ImageFormat> SniffImageFormat(absl::Span<const uint8_t> head);

// InvalidArgument for an unrecognised, malformed or truncated image, with a
// message saying which ("truncated PNG: chunk IDAT at byte 33 needs 8192
// bytes, 100 remain").
absl::StatusOr<ImageInfo> ProbeImage(absl::Span<const uint8_t> bytes);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_IMAGE_PROBE_H_
