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

// Mean absolute step between line `i - 1` and line `i` of `grey` (rows
// when `rows`, else columns), over positions [from, to).
double Step(const cv::Mat& grey, bool rows, int i, int from, int to) {
  const int lines = rows ? grey.rows : grey.cols;
  if (i <= 0 || i >= lines || to <= from) return 0;
  double sum = 0;
  for (int k = from; k < to; ++k) {
    const int a = rows ? grey.at<uint8_t>(i - 1, k) : grey.at<uint8_t>(k, i - 1);
    const int b = rows ? grey.at<uint8_t>(i, k) : grey.at<uint8_t>(k, i);
    sum += std::abs(a - b);
  }
  return sum / (to - from);
}

// The rectangle's sides moved onto the strongest step within `reach` lines
// of where the contour put them, each side just inside its step: the
// contour of dilated edges runs a pixel or two outside the picture, and
// where exactly decides a few percent of the picture (which PDQ notices).
cv::Rect SnapToSteps(const cv::Mat& grey, const cv::Rect& r, int reach) {
  // Steps are measured along the middle 80% of each side, away from corners.
  const int x0 = r.x + r.width / 10, x1 = r.x + r.width - r.width / 10;
  const int y0 = r.y + r.height / 10, y1 = r.y + r.height - r.height / 10;
  // `inward`: +1 for the top and left sides, -1 for the others. A step
  // split over two lines (a line blending frame and picture, as any
  // downscaled copy has) puts the side on the inner one.
  auto best = [&](bool rows, int around, int inward, int from, int to) {
    int at = around;
    double strongest = -1;
    for (int i = around - reach; i <= around + reach; ++i) {
      const double s = Step(grey, rows, i, from, to);
      if (s > strongest) strongest = s, at = i;
    }
    if (Step(grey, rows, at + inward, from, to) >= 0.5 * strongest) at += inward;
    return at;
  };
  // A side's step lies between its outer line and the first picture line.
  const int top = best(true, r.y, 1, x0, x1);
  const int bottom = best(true, r.y + r.height, -1, x0, x1);  // first line below
  const int left = best(false, r.x, 1, y0, y1);
  const int right = best(false, r.x + r.width, -1, y0, y1);
  const cv::Rect snapped(left, top, right - left, bottom - top);
  if (snapped.width < r.width / 2 || snapped.height < r.height / 2) return r;
  return snapped & cv::Rect(0, 0, grey.cols, grey.rows);
}

// Straight sides against a flat surround
// ---------------------------------------------------------------------------
// A picture on a page, in a chat bubble or in a panel meets something flat
// (the page, the bubble) along each of its sides, even where the two differ
// by only a few grey levels (a photo's white background on a light page,
// which Canny's thresholds do not see). Per side, a pixel is evidence when
// the level steps by kStep across the side while the two lines outside it
// stay flat; runs of evidence along a row or column are the candidate sides
// (FramedRects pairs and closes them).

constexpr int kStep = 4;  // grey levels (a lossless screenshot steps 5 on white-on-white)
constexpr int kFlat = 2;  // grey levels across two lines of page or bubble
constexpr int kMinSide = 24;
constexpr int kGap = 6;  // pixels of a side without evidence (a corner, a matching colour)

struct Segment {
  int at;        // the row (for top and bottom sides) or column: the picture's first / last line
  int from, to;  // along it, [from, to)
};

// One kind of side: where a pixel is evidence of it (CV_8U, 1 or 0, indexed
// by row and column whatever the side) and the runs of evidence found.
struct SideMap {
  cv::Mat evidence;
  std::vector<Segment> segments;
};

// `outward` is -1 when the surround lies before the side's line (top, left),
// +1 when after (bottom, right). `rows`: a top or bottom side.
SideMap Sides(const cv::Mat& g, bool rows, int outward) {
  SideMap out;
  out.evidence = cv::Mat::zeros(g.size(), CV_8U);
  const int lines = rows ? g.rows : g.cols, along = rows ? g.cols : g.rows;
  auto px = [&](int line, int k) {
    return static_cast<int>(rows ? g.at<uint8_t>(line, k) : g.at<uint8_t>(k, line));
  };
  for (int line = 3; line + 3 < lines; ++line) {
    // The surround's two lines, past the line next to the side: in a
    // reduced copy that one often blends picture and surround.
    const int o1 = line + 2 * outward, o2 = line + 3 * outward;
    int start = -1, last = -1, hits = 0;
    auto flush = [&] {
      if (start >= 0 && last + 1 - start >= kMinSide && hits >= 0.6 * (last + 1 - start)) {
        out.segments.push_back({line, start, last + 1});
      }
      start = -1, hits = 0;
    };
    for (int k = 0; k < along; ++k) {
      const int s = px(o1, k);
      const bool hit = std::abs(px(line, k) - s) >= kStep && std::abs(px(o2, k) - s) <= kFlat;
      if (!hit) {
        if (start >= 0 && k - last > kGap) flush();
        continue;
      }
      (rows ? out.evidence.at<uint8_t>(line, k) : out.evidence.at<uint8_t>(k, line)) = 1;
      if (start < 0) start = k;
      last = k;
      ++hits;
    }
    flush();
  }
  return out;
}

// The best share of [from, to) holding evidence on a line within 3 of
// `line` (a row when `rows`), and that line.
std::pair<double, int> BestSupport(const SideMap& side, bool rows, int line, int from, int to) {
  const cv::Mat& e = side.evidence;
  std::pair<double, int> best = {0.0, line};
  if (to <= from) return best;
  for (int l = line - 3; l <= line + 3; ++l) {
    if (l < 0 || l >= (rows ? e.rows : e.cols)) continue;
    int n = 0;
    for (int k = from; k < to; ++k) n += rows ? e.at<uint8_t>(l, k) : e.at<uint8_t>(k, l);
    const double share = static_cast<double>(n) / (to - from);
    if (share > best.first) best = {share, l};
  }
  return best;
}

// Rectangles framed by flat surround: a pair of opposite sides found as
// runs that start and end together (within 3 px), closed by the other two
// sides with evidence along most (60%) of their length. Corners may blend
// into the surround (a light sky against a white bubble), so the closing
// sides are measured, not required to be one unbroken run.
std::vector<cv::Rect> FramedRects(const cv::Mat& g) {
  const SideMap top = Sides(g, true, -1), bottom = Sides(g, true, +1);
  const SideMap left = Sides(g, false, -1), right = Sides(g, false, +1);
  auto near = [](int a, int b) { return std::abs(a - b) <= 3; };
  std::vector<cv::Rect> out;
  // `first` and `second`: opposite sides (rows when `rows`: top and
  // bottom), closed by the other two.
  auto close = [&](const SideMap& first, const SideMap& second, bool rows) {
    for (const Segment& a : first.segments) {
      for (const Segment& b : second.segments) {
        if (b.at - a.at + 1 < kMinSide || !near(a.from, b.from) || !near(a.to, b.to)) continue;
        const int from = (a.from + b.from) / 2, to = (a.to + b.to) / 2;  // along the pair
        // The closing sides run across, between the pair's lines.
        const SideMap& open_side = rows ? left : top;
        const SideMap& shut_side = rows ? right : bottom;
        const auto [s1, l1] = BestSupport(open_side, !rows, from, a.at, b.at + 1);
        const auto [s2, l2] = BestSupport(shut_side, !rows, to - 1, a.at, b.at + 1);
        if (s1 < 0.6 || s2 < 0.6 || l2 - l1 + 1 < kMinSide) continue;
        out.push_back(rows ? cv::Rect(l1, a.at, l2 + 1 - l1, b.at + 1 - a.at)
                           : cv::Rect(a.at, l1, b.at + 1 - a.at, l2 + 1 - l1));
      }
    }
  };
  close(left, right, false);  // columns paired, closed by a top and a bottom
  close(top, bottom, true);   // rows paired, closed by a left and a right
  return out;
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

  // Candidates: rectangles framed by flat surround (their sides are found
  // already), then contours' boxes (their sides checked against the edges).
  const std::vector<cv::Rect> framed = FramedRects(grey);
  std::vector<cv::Rect> boxes = framed;
  for (const std::vector<cv::Point>& c : contours) boxes.push_back(cv::boundingRect(c));

  const double canvas = static_cast<double>(luma.cols) * luma.rows;
  struct Found {
    cv::Rect rect;
    double support;
  };
  std::vector<Found> found;
  for (size_t i = 0; i < boxes.size(); ++i) {
    cv::Rect r = boxes[i];
    const double share = r.area() / canvas;
    if (share < 0.08 || share > 0.9) continue;
    if (r.width < 24 || r.height < 24) continue;
    const double aspect = static_cast<double>(r.width) / r.height;
    if (aspect > 4 || aspect < 0.25) continue;
    // A framed rectangle's sides were found on their steps already; a
    // contour's box must lie on edges all round, and is then snapped onto
    // the steps (Canny's edges run 1-3 px outside them).
    const bool is_framed = i < framed.size();
    double weakest = 1.0;
    if (!is_framed) {
      const cv::Point tl = r.tl(), br(r.x + r.width - 1, r.y + r.height - 1);
      weakest =
          std::min({SideSupport(edges, tl, {br.x, tl.y}), SideSupport(edges, {tl.x, br.y}, br),
                    SideSupport(edges, tl, {tl.x, br.y}), SideSupport(edges, {br.x, tl.y}, br)});
      if (weakest < 0.6) continue;
    }
    // Texture inside: a picture, not a flat panel.
    cv::Scalar mean, stddev;
    cv::meanStdDev(grey(r), mean, stddev);
    if (stddev[0] < 12) continue;
    found.push_back({is_framed ? r : SnapToSteps(grey, r, 3), weakest});
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
