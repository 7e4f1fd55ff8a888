// DecodeJpegLumaAndColour: one libjpeg-turbo pass over a colour JPEG that
// gives both the luma the hashes use and a colour copy (the embedding's).
//
// Why: a colour JPEG stores Y, Cb and Cr. The luma path decodes only Y
// (greyscale output: exact BT.601 luma), and the colour copy used to be a
// second decode of the whole file, which repeats the entropy decoding, the
// larger part of a JPEG's cost. Asking libjpeg for its YCbCr planes
// unconverted gives Y bit for bit as the greyscale decode does (same IDCT,
// same DCT scaling; tested against DecodeImage's luma) and the chroma for the
// colour copy in the same pass.
//
// Only JPEGs whose colour space is YCbCr are handled (the usual case); others
// (greyscale, CMYK, YCCK, RGB) return FailedPrecondition and the caller
// decodes them the ordinary way. Corrupt data returns InvalidArgument; a
// progressive JPEG with more scans than any encoder writes (a known way to
// make decoding slow) returns OutOfRange. libjpeg's warnings (for example
// data that ends early, which libjpeg fills with grey) are not printed.
//
// Thread safety: reentrant (no state outside the call).
#ifndef HASHWATCH_MEDIA_JPEG_YCC_DECODER_H_
#define HASHWATCH_MEDIA_JPEG_YCC_DECODER_H_

#include <cstdint>
#include <opencv2/core.hpp>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::media {

struct JpegLumaAndColour {
  cv::Mat luma;    // CV_8UC1: the Y plane, as a greyscale decode gives it
  cv::Mat colour;  // CV_8UC3, B, G, R, the same size
};

// Decodes at 1/scale_denominator (1, 2, 4 or 8) of the stored size, EXIF
// orientation not applied (the caller applies it, as for every format).
absl::StatusOr<JpegLumaAndColour> DecodeJpegLumaAndColour(absl::Span<const uint8_t> bytes,
                                                          int scale_denominator);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_JPEG_YCC_DECODER_H_
