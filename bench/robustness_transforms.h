// The edits `hashwatch-bench robustness` applies to every corpus image: the
// kinds of copy Thorn's `perception` benchmark measures (design.md section 4,
// "Robustness methodology") and the ones that reach victim-support centres
// (screenshots, watermarks, padding to a "vertical" canvas).
//
// Every transform is a pure function of its input: randomness (noise,
// layouts, colours) comes from TransformInput::seed, which the caller derives
// from the image's name and the transform's name (TransformSeed), so a run
// with --limit or another thread count makes the same queries.
//
// Geometry, in the image's pixels (w x h):
//   cropF          keep the centre (1-F)w x (1-F)h: F/2 of each side removed.
//   cropF_off      keep (1-F)w x (1-F)h anchored at one corner (the whole F
//                  off two sides); the corner cycles TL, TR, BL, BR with the
//                  image's index.
//   pad20_*        a canvas of 1.2w x 1.2h (10% of each axis on each side),
//                  the picture centred on black, white, or the picture itself
//                  stretched to the canvas and blurred (sigma ~5% of the
//                  canvas's longer side): the Instagram / TikTok look.
//   rotD           D degrees anticlockwise about the centre, same frame,
//                  corners black; rot90 / rot180 are exact.
//   aspect         width x 1.3, height unchanged.
//   screenshot     the picture at 45-70% of a page's width or height (its
//                  tighter axis), off-centre, inside a drawn web page
//                  (landscape) or chat app (portrait), alternating with the
//                  index, with a top bar, text and a thumbnail of another
//                  corpus image (Transform::shows_other).
// Combos apply their parts left to right; a JPEG part is the final encoding.
//
// Thread safety: the transform table is immutable; transforms may run on
// many threads at once.
#ifndef HASHWATCH_BENCH_ROBUSTNESS_TRANSFORMS_H_
#define HASHWATCH_BENCH_ROBUSTNESS_TRANSFORMS_H_

#include <cstdint>
#include <functional>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace hashwatch::bench {

struct TransformInput {
  const cv::Mat* image = nullptr;  // 8-bit BGR, as enrolled
  // A different corpus image (the screenshot's thumbnail); may be empty.
  const cv::Mat* other = nullptr;
  int index = 0;  // the image's position in the corpus (corner choices)
  uint64_t seed = 0;
};

struct Transform {
  std::string name;
  // > 0: the query is encoded as JPEG at this quality; 0: PNG, level 1.
  int jpeg_quality = 0;
  // Returns an 8-bit BGR or grey image. May throw cv::Exception.
  std::function<cv::Mat(const TransformInput&)> apply;
  // The result also shows TransformInput::other (a real, smaller copy of it):
  // a match with that image is neither true nor false.
  bool shows_other = false;
};

// The suite, in report order.
const std::vector<Transform>& RobustnessTransforms();

// A seed that depends only on the two names (FNV-1a 64).
uint64_t TransformSeed(std::string_view image_name, std::string_view transform_name);

// Encodes a query in memory: JPEG at `jpeg_quality` when > 0, else PNG at
// compression level 1 (lossless, fast).
absl::StatusOr<std::vector<uint8_t>> EncodeImage(const cv::Mat& image, int jpeg_quality);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_ROBUSTNESS_TRANSFORMS_H_
