// DecodeImage: encoded bytes -> DecodedImage (luma), safely and fast.
//
// Order of work, cheapest first: file size limit, header probe (format, size,
// orientation, truncation), pixel limit, then the decode itself.
//
// Speed: signals only need a small image (PDQ samples a 64x64 grid), so a
// JPEG larger than needed is decoded at 1/2, 1/4 or 1/8 scale straight from its
// DCT coefficients (libjpeg-turbo scaling through OpenCV's IMREAD_REDUCED_*),
// in greyscale, which skips most of the IDCT, the chroma upsampling and the
// colour conversion. Other formats are decoded in full and then reduced with
// area averaging.
//
// Colour: luma uses the BT.601 weights PDQ specifies. 16-bit samples keep
// their precision (scaled by 1/257). Alpha is composited over black (luma is
// multiplied by alpha). Why black: Meta's PDQ reference and PIL's
// convert("RGB") (used by HMA/ThreatExchange tools) ignore alpha and use the
// colour stored under it, and most encoders store black under fully
// transparent pixels, so compositing over black agrees with the hash lists
// other centres and platforms compute in the common case; and where an
// encoder stores something else under transparency (libwebp rewrites those
// invisible pixels by default), compositing makes the invisible colour
// irrelevant: the same visible picture gives the same hash in every format
// (measured: 40 bits apart for a WebP and a PNG of one RGBA picture when
// alpha was ignored, 0-8 when composited).
//
// Thread safety: reentrant. The first call configures OpenCV for the process:
// console log off, its thread pool off (see image_hasher.h).
#ifndef HASHWATCH_MEDIA_IMAGE_DECODER_H_
#define HASHWATCH_MEDIA_IMAGE_DECODER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/decode_limits.h"
#include "media/decoded_image.h"

namespace hashwatch::media {

// `working_side`: the decoded luma may be reduced as long as its shorter side
// stays >= working_side pixels; 0 keeps full resolution. A non-JPEG image
// with an axis over 1024 px then has that axis squashed to 512, as PDQ's
// reference does, unless `keep_aspect` (local features, whose descriptors do
// not survive squashing): then both axes shrink alike.
// `colour_side` > 0 also keeps the image in colour (DecodedImage::colour,
// for the embedding), its shorter side reduced (aspect kept) to colour_side
// when it is at least twice that, so it ends between colour_side and twice
// that (or the image's own size when smaller). A YCbCr JPEG whose luma and colour need the same DCT
// scale gives both from one pass (jpeg_ycc_decoder.h; the luma is the same, bit for bit); otherwise
// it is decoded a second time, in colour, at the smallest scale that allows (the luma path decodes
// JPEGs grey: exact and quicker). Errors are InvalidArgument (bad or truncated data), OutOfRange (a
// limit).
absl::StatusOr<DecodedImage> DecodeImage(absl::Span<const uint8_t> bytes,
                                         const DecodeLimits& limits, int working_side,
                                         bool keep_aspect = false, int colour_side = 0);

// The JPEG scale denominator (1, 2, 4 or 8) DecodeImage uses for a JPEG of
// this size: the largest that keeps the shorter side >= working_side.
int JpegScaleDenominator(int64_t width, int64_t height, int working_side);

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_IMAGE_DECODER_H_
