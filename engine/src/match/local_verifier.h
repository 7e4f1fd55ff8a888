// VerifyLocalFeatures: does a query show the known image? The verification
// stage: the keypoints of both (signals/local_features.h) are matched by
// descriptor (nearest of the two nearest clearly better: Lowe's ratio test),
// and RANSAC fits one affine transform (cv::estimateAffine2D) from the known
// image to the query. The query shows the known image when enough matches
// agree with it (crop, scale, small rotation, aspect change, placement in a
// larger picture are all affine), the transform is plausible (no mirror, no
// collapse, scale within 1/8..8), and the agreeing keypoints spread over
// most of the part of the known image the query shows (see
// Verification::spread): two screenshots of one app share a toolbar, and
// two photos of one place share a landmark, not the whole picture.
//
// Thread safety: pure function.
#ifndef HASHWATCH_MATCH_LOCAL_VERIFIER_H_
#define HASHWATCH_MATCH_LOCAL_VERIFIER_H_

#include "signals/local_features.h"

namespace hashwatch::match {

struct VerifyOptions {
  int min_inliers = 20;
  // Least Verification::spread.
  double min_spread = 0.25;
  double ratio = 0.8;  // Lowe's ratio test
};

struct Verification {
  bool confirmed = false;
  int matches = 0;  // descriptor matches that passed the ratio test
  int inliers = 0;  // of which agree with the fitted transform
  // Of the known image's textured cells (4 x 4 grid, >= 3 keypoints) that
  // the transform places inside the query, the share holding an agreeing
  // keypoint.
  double spread = 0;
  // The fitted transform, known image -> query (2 x 3, CV_64F), when one
  // was found.
  cv::Mat affine;
};

Verification VerifyLocalFeatures(const signals::LocalFeatures& query,
                                 const signals::LocalFeatures& known,
                                 const VerifyOptions& options = {});

}  // namespace hashwatch::match

#endif  // HASHWATCH_MATCH_LOCAL_VERIFIER_H_
