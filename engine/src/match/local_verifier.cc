#include "match/local_verifier.h"

#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

namespace hashwatch::match {
namespace {

// The affine part's singular values and orientation: a copy is scaled (not
// collapsed onto a line) and not mirrored (mirrors are the dihedral
// variants' job, and ORB descriptors do not survive them anyway).
bool Plausible(const cv::Mat& affine) {
  if (affine.empty()) return false;
  const double a = affine.at<double>(0, 0), b = affine.at<double>(0, 1);
  const double c = affine.at<double>(1, 0), d = affine.at<double>(1, 1);
  const double det = a * d - b * c;
  if (det <= 0) return false;
  cv::Mat w;
  cv::SVD::compute(cv::Matx22d(a, b, c, d), w);
  const double s1 = w.at<double>(0), s2 = w.at<double>(1);
  if (s2 <= 0) return false;
  const double scale = std::sqrt(det);
  return scale >= 1.0 / 8 && scale <= 8 && s1 / s2 <= 2.0;
}

}  // namespace

Verification VerifyLocalFeatures(const signals::LocalFeatures& query,
                                 const signals::LocalFeatures& known,
                                 const VerifyOptions& options) {
  Verification out;
  if (query.points.size() < 3 || known.points.size() < 3 || known.width <= 0 || known.height <= 0) {
    return out;
  }
  cv::BFMatcher matcher(cv::NORM_HAMMING);
  std::vector<std::vector<cv::DMatch>> knn;
  matcher.knnMatch(known.descriptors, query.descriptors, knn, 2);
  std::vector<cv::Point2f> from, to;
  for (const std::vector<cv::DMatch>& m : knn) {
    if (m.size() < 2 || m[0].distance >= options.ratio * m[1].distance) continue;
    from.push_back(known.points[static_cast<size_t>(m[0].queryIdx)]);
    to.push_back(query.points[static_cast<size_t>(m[0].trainIdx)]);
  }
  out.matches = static_cast<int>(from.size());
  if (out.matches < std::max(3, options.min_inliers)) return out;
  // Reprojection tolerance: 1% of the query's longer side (about 6 px at
  // the analysed size), a little more than ORB's keypoint placement error.
  const double tolerance = std::max(2.0, 0.01 * std::max(query.width, query.height));
  std::vector<uint8_t> mask;
  const cv::Mat affine =
      cv::estimateAffine2D(from, to, mask, cv::RANSAC, tolerance, 4000, 0.995, 10);
  if (!Plausible(affine)) return out;
  std::vector<cv::Point2f> agreeing;
  for (size_t i = 0; i < mask.size(); ++i) {
    if (mask[i]) agreeing.push_back(from[i]);
  }
  out.inliers = static_cast<int>(agreeing.size());
  if (agreeing.size() >= 3) {
    std::vector<cv::Point2f> hull;
    cv::convexHull(agreeing, hull);
    out.coverage = cv::contourArea(hull) / (static_cast<double>(known.width) * known.height);
  }
  out.confirmed = out.inliers >= options.min_inliers && out.coverage >= options.min_coverage;
  return out;
}

}  // namespace hashwatch::match
