#include "signals/local_features.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/status/status.h"

namespace hashwatch::signals {
namespace {

constexpr char kMagic[4] = {'O', 'R', 'B', '1'};
constexpr size_t kHeader = 10;
constexpr size_t kPerPoint = 4 + 32;
constexpr int kOrbPatch = 31;  // ORB's patch size and edge threshold

void PutU16(std::vector<uint8_t>* out, int v) {
  const auto u = static_cast<uint16_t>(std::clamp(v, 0, 65535));
  out->push_back(static_cast<uint8_t>(u & 0xff));
  out->push_back(static_cast<uint8_t>(u >> 8));
}

int GetU16(const uint8_t* p) {
  return p[0] | (p[1] << 8);
}

// Up to `keep` keypoints: the strongest of each cell of a kGrid x kGrid grid
// (keep / cells each), then the strongest of the rest.
std::vector<cv::KeyPoint> SpreadOut(std::vector<cv::KeyPoint> all, cv::Size size, int keep) {
  constexpr int kGrid = 4;
  std::stable_sort(all.begin(), all.end(), [](const cv::KeyPoint& a, const cv::KeyPoint& b) {
    return a.response > b.response;
  });
  if (static_cast<int>(all.size()) <= keep) return all;
  const int per_cell = std::max(1, keep / (kGrid * kGrid));
  int taken[kGrid][kGrid] = {};
  std::vector<cv::KeyPoint> out;
  std::vector<bool> used(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    const int cx = std::clamp(static_cast<int>(all[i].pt.x * kGrid / size.width), 0, kGrid - 1);
    const int cy = std::clamp(static_cast<int>(all[i].pt.y * kGrid / size.height), 0, kGrid - 1);
    if (taken[cy][cx] >= per_cell) continue;
    ++taken[cy][cx];
    used[i] = true;
    out.push_back(all[i]);
  }
  for (size_t i = 0; i < all.size() && static_cast<int>(out.size()) < keep; ++i) {
    if (!used[i]) out.push_back(all[i]);
  }
  return out;
}

}  // namespace

cv::Mat AtFeatureSide(const cv::Mat& luma) {
  if (luma.empty()) return luma;
  const double scale = static_cast<double>(kFeatureSide) / std::max(luma.cols, luma.rows);
  if (scale == 1) return luma;
  // Sizes set explicitly: a thin strip (1 x 2000 px) must keep one pixel
  // across, not round to none.
  const cv::Size size(std::max(1, static_cast<int>(std::lround(luma.cols * scale))),
                      std::max(1, static_cast<int>(std::lround(luma.rows * scale))));
  cv::Mat sized;
  cv::resize(luma, sized, size, 0, 0, scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return sized;
}

LocalFeatures ExtractLocalFeatures(const cv::Mat& luma, int max_features) {
  LocalFeatures out;
  if (luma.empty()) return out;
  cv::Mat grey;
  AtFeatureSide(luma).convertTo(grey, CV_8U);
  out.width = grey.cols;
  out.height = grey.rows;
  // ORB keeps no keypoint within its patch (31 px) of an edge, and its
  // pyramid cannot shrink a thinner image (OpenCV throws): a strip has none.
  if (std::min(grey.cols, grey.rows) <= 2 * kOrbPatch) return out;
  // ORB's own patch size (31) for distinctive descriptors; a lower FAST
  // threshold than its default (12, not 20) so that soft or dark photos
  // still give keypoints. Four times as many candidates are detected as
  // kept, and they are kept cell by cell (a 4 x 4 grid, strongest first,
  // then the strongest of the rest): the strongest corners alone crowd into
  // whatever has the most contrast, such as a watermark's letters, and leave
  // the picture itself without keypoints to match.
  const int candidates = std::max(4 * kMaxFeatures, 2 * max_features);
  cv::Ptr<cv::ORB> orb =
      cv::ORB::create(candidates, 1.2f, 8, kOrbPatch, 0, 2, cv::ORB::HARRIS_SCORE, kOrbPatch, 12);
  std::vector<cv::KeyPoint> detected;
  orb->detect(grey, detected);
  std::vector<cv::KeyPoint> keypoints = SpreadOut(detected, grey.size(), max_features);
  orb->compute(grey, keypoints, out.descriptors);
  for (const cv::KeyPoint& k : keypoints) out.points.push_back(k.pt);
  if (out.descriptors.empty()) out.points.clear();
  return out;
}

std::vector<uint8_t> SerializeLocalFeatures(const LocalFeatures& features) {
  std::vector<uint8_t> out(kMagic, kMagic + 4);
  const size_t n = std::min<size_t>(features.points.size(), 65535);
  PutU16(&out, features.width);
  PutU16(&out, features.height);
  PutU16(&out, static_cast<int>(n));
  out.reserve(kHeader + n * kPerPoint);
  for (size_t i = 0; i < n; ++i) {
    PutU16(&out, static_cast<int>(std::lround(features.points[i].x * 4)));
    PutU16(&out, static_cast<int>(std::lround(features.points[i].y * 4)));
    const uint8_t* d = features.descriptors.ptr<uint8_t>(static_cast<int>(i));
    out.insert(out.end(), d, d + 32);
  }
  return out;
}

absl::StatusOr<LocalFeatures> ParseLocalFeatures(absl::Span<const uint8_t> blob) {
  if (blob.size() < kHeader || std::memcmp(blob.data(), kMagic, 4) != 0) {
    return absl::DataLossError("local features: not an ORB1 blob");
  }
  LocalFeatures out;
  out.width = GetU16(blob.data() + 4);
  out.height = GetU16(blob.data() + 6);
  const size_t n = static_cast<size_t>(GetU16(blob.data() + 8));
  if (blob.size() != kHeader + n * kPerPoint) {
    return absl::DataLossError("local features: blob length does not match its count");
  }
  out.points.reserve(n);
  out.descriptors.create(static_cast<int>(n), 32, CV_8UC1);
  const uint8_t* p = blob.data() + kHeader;
  for (size_t i = 0; i < n; ++i, p += kPerPoint) {
    out.points.emplace_back(GetU16(p) / 4.0f, GetU16(p + 2) / 4.0f);
    std::memcpy(out.descriptors.ptr<uint8_t>(static_cast<int>(i)), p + 4, 32);
  }
  return out;
}

}  // namespace hashwatch::signals
