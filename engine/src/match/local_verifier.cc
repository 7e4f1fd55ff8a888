#include "match/local_verifier.h"

#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "index/hamming_kernels.h"

namespace hashwatch::match {
namespace {

// A cell of the spread grid counts when it holds at least this many of the
// known image's keypoints (fewer: too little texture to expect a match).
constexpr int kMinCellKeypoints = 3;

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

constexpr int kDescriptorBits = 256;

// ORB descriptors as the kernels read them: 32 bytes a row, one block.
bool Packed(const cv::Mat& descriptors) {
  return descriptors.type() == CV_8UC1 && descriptors.cols == 32 && descriptors.isContinuous();
}

}  // namespace

Verification VerifyLocalFeatures(const signals::LocalFeatures& query,
                                 const signals::LocalFeatures& known,
                                 const VerifyOptions& options) {
  Verification out;
  if (query.points.size() < 3 || known.points.size() < 3 || known.width <= 0 || known.height <= 0) {
    return out;
  }
  // Each known keypoint's two nearest query descriptors (brute force, as
  // cv::BFMatcher's knnMatch with k = 2 would find them, with the POPCNT
  // kernels: several times quicker than OpenCV's generic Hamming loop, which
  // was a quarter of a query's cost), kept when the nearest is clearly
  // nearer than the next (Lowe's ratio test).
  if (!Packed(known.descriptors) || !Packed(query.descriptors) ||
      known.descriptors.rows != static_cast<int>(known.points.size()) ||
      query.descriptors.rows != static_cast<int>(query.points.size())) {
    return out;
  }
  std::vector<TwoNearest> nearest(known.points.size());
  BestHammingKernels().two_nearest(known.descriptors.ptr<uint8_t>(), nearest.size(),
                                   query.descriptors.ptr<uint8_t>(), query.points.size(),
                                   nearest.data());
  std::vector<cv::Point2f> from, to;
  for (size_t i = 0; i < nearest.size(); ++i) {
    const TwoNearest& m = nearest[i];
    if (m.second > kDescriptorBits || m.best >= options.ratio * m.second) continue;
    from.push_back(known.points[i]);
    to.push_back(query.points[m.row]);
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
  out.affine = affine;
  // Spread: of the known image's cells (a 4 x 4 grid) that hold keypoints
  // and land inside the query under the fitted transform, the share that
  // holds an agreeing one. A copy agrees all over what it shows; two
  // screenshots of one app agree only on its toolbar, two photos of one
  // place only on the landmark.
  constexpr int kGrid = 4;
  int keypoints[kGrid][kGrid] = {};
  bool agrees[kGrid][kGrid] = {};
  auto cell = [&](const cv::Point2f& p, int* cx, int* cy) {
    *cx = std::clamp(static_cast<int>(p.x * kGrid / known.width), 0, kGrid - 1);
    *cy = std::clamp(static_cast<int>(p.y * kGrid / known.height), 0, kGrid - 1);
  };
  const cv::Matx23d m(affine.ptr<double>());
  for (const cv::Point2f& p : known.points) {
    const double qx = m(0, 0) * p.x + m(0, 1) * p.y + m(0, 2);
    const double qy = m(1, 0) * p.x + m(1, 1) * p.y + m(1, 2);
    if (qx < 0 || qy < 0 || qx >= query.width || qy >= query.height) continue;
    int cx, cy;
    cell(p, &cx, &cy);
    ++keypoints[cy][cx];
  }
  for (size_t i = 0; i < mask.size(); ++i) {
    if (!mask[i]) continue;
    ++out.inliers;
    int cx, cy;
    cell(from[i], &cx, &cy);
    agrees[cy][cx] = true;
  }
  int textured = 0, agreeing = 0;
  for (int y = 0; y < kGrid; ++y) {
    for (int x = 0; x < kGrid; ++x) {
      if (keypoints[y][x] < kMinCellKeypoints) continue;
      ++textured;
      agreeing += agrees[y][x];
    }
  }
  out.spread = textured > 0 ? static_cast<double>(agreeing) / textured : 0;
  out.confirmed = out.inliers >= options.min_inliers && out.spread >= options.min_spread;
  return out;
}

}  // namespace hashwatch::match
