// Local features: ORB keypoints and their 256-bit binary descriptors, the
// evidence the verification stage (match/local_verifier.h) uses to confirm a
// candidate that PDQ alone cannot decide (a crop, a small rotation, a
// picture inside a screenshot).
//
// Serialised form (what the catalog stores as signal type "orb"; no pixels,
// and no image can be rebuilt from it): "ORB1", the analysed image's width
// and height (uint16 little-endian), the keypoint count (uint16), then per
// keypoint x and y in quarter pixels of the analysed image (uint16 each) and
// its 32-byte descriptor. About 14 KB for the default 400 keypoints.
//
// Thread safety: pure functions.
#ifndef HASHWATCH_SIGNALS_LOCAL_FEATURES_H_
#define HASHWATCH_SIGNALS_LOCAL_FEATURES_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::signals {

struct LocalFeatures {
  int width = 0, height = 0;        // the analysed image (longer side kFeatureSide)
  std::vector<cv::Point2f> points;  // in the analysed image's pixels
  cv::Mat descriptors;              // CV_8UC1, points.size() x 32
};

// Longer side the image is analysed at, and the decode size that serves it.
inline constexpr int kFeatureSide = 640;
inline constexpr int kMaxFeatures = 400;

// `luma` with its longer side at kFeatureSide: reduced, or enlarged when
// smaller. Every image is analysed at that size (known images at enrolment,
// a query's looks at verification): keypoints of one picture agree only
// when both sides were analysed at one scale.
cv::Mat AtFeatureSide(const cv::Mat& luma);

// `luma`: CV_32FC1 (0..255) or CV_8UC1, any size (brought to AtFeatureSide).
LocalFeatures ExtractLocalFeatures(const cv::Mat& luma, int max_features = kMaxFeatures);

std::vector<uint8_t> SerializeLocalFeatures(const LocalFeatures& features);
// DataLoss on a malformed blob (a damaged catalog).
absl::StatusOr<LocalFeatures> ParseLocalFeatures(absl::Span<const uint8_t> blob);

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_LOCAL_FEATURES_H_
