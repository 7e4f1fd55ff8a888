#include "media/canvas_detector.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace hashwatch::media {
namespace {

// Share of the rectangle's side (inset by up to 2 px either way) on which an
// edge pixel lies.
double SideSupport(const cv::Mat& edges, cv::Point a, cv::Point b) {
  const bool horizontal = a.y == b.y;
  const int n = horizontal ? b.x - a.x + 1 : b.y - a.y + 1;
  if (n <= 0) return 0;
  int hit = 0;
  for (int i = 0; i < n; ++i) {
    bool any = false;
    for (int o = -2; o <= 2 && !any; ++o) {
      const int x = horizontal ? a.x + i : a.x + o;
      const int y = horizontal ? a.y + o : a.y + i;
      if (x >= 0 && y >= 0 && x < edges.cols && y < edges.rows) any = edges.at<uint8_t>(y, x) != 0;
    }
    hit += any;
  }
  return static_cast<double>(hit) / n;
}

double Overlap(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  return inter / (a.area() + b.area() - inter);
}

}  // namespace

std::vector<cv::Rect> FindPictureRects(const cv::Mat& luma, int max_rects) {
  std::vector<cv::Rect> out;
  if (luma.empty() || max_rects <= 0 || luma.cols < 32 || luma.rows < 32) return out;
  cv::Mat grey, edges;
  luma.convertTo(grey, CV_8U);
  cv::Canny(grey, edges, 30, 90);
  cv::Mat closed;
  cv::dilate(edges, closed, cv::getStructuringElement(cv::MORPH_RECT, cv::Size(3, 3)));
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(closed, contours, cv::RETR_LIST, cv::CHAIN_APPROX_SIMPLE);

  const double canvas = static_cast<double>(luma.cols) * luma.rows;
  struct Found {
    cv::Rect rect;
    double support;
  };
  std::vector<Found> found;
  for (const std::vector<cv::Point>& c : contours) {
    cv::Rect r = cv::boundingRect(c);
    const double share = r.area() / canvas;
    if (share < 0.08 || share > 0.9) continue;
    if (r.width < 24 || r.height < 24) continue;
    const double aspect = static_cast<double>(r.width) / r.height;
    if (aspect > 4 || aspect < 0.25) continue;
    const cv::Point tl = r.tl(), br(r.x + r.width - 1, r.y + r.height - 1);
    const double top = SideSupport(edges, tl, {br.x, tl.y});
    const double bottom = SideSupport(edges, {tl.x, br.y}, br);
    const double left = SideSupport(edges, tl, {tl.x, br.y});
    const double right = SideSupport(edges, {br.x, tl.y}, br);
    const double weakest = std::min({top, bottom, left, right});
    if (weakest < 0.6) continue;
    // Texture inside: a picture, not a flat panel.
    cv::Scalar mean, stddev;
    cv::meanStdDev(grey(r), mean, stddev);
    if (stddev[0] < 12) continue;
    // Edges pass 2-3 px inside the picture: hash what lies within them.
    const int inset = std::min(3, std::min(r.width, r.height) / 16);
    r = cv::Rect(r.x + inset, r.y + inset, r.width - 2 * inset, r.height - 2 * inset);
    found.push_back({r, weakest});
  }
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.rect.area() > b.rect.area(); });
  for (const Found& f : found) {
    bool duplicate = false;
    for (const cv::Rect& kept : out) duplicate |= Overlap(kept, f.rect) > 0.8;
    if (duplicate) continue;
    out.push_back(f.rect);
    if (static_cast<int>(out.size()) == max_rects) break;
  }
  return out;
}

}  // namespace hashwatch::media
