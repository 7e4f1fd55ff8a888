#include "media/border_detector.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/imgproc.hpp>
#include <utility>
#include <vector>

#include "media/block_means.h"

namespace hashwatch::media {
namespace {

// Share of a line's positions that must sit at the border level for the line
// to be border: 98% tolerates a stray position or two of a 128-position line
// (a speck of dust on a scan, a codec artefact) but not an object in a sky.
constexpr double kBorderCellShare = 0.98;
// The step into picture. Positions "turn" at the first line that differs
// from the border level by kContentLevelFactor x level_tolerance (or varies
// over time that much). Within the transition, either kEdgeShare of all
// positions turn (a straight edge along most of the side), or kStepCellShare
// turn and they are kStraightShare of those that turn within a further
// kStraightDepthShare of the axis. A padded picture turns along most of its
// edge at once (0.7-1.0 of the positions on the test photos; dark picture
// next to a black bar turns later); a plain wall meeting a person's
// silhouette, or a flat sky meeting a skyline, turns position by position
// (an elliptic silhouette: 0.45 at once, 0.55 of those turning a little
// deeper).
constexpr double kEdgeShare = 0.6;
constexpr double kStepCellShare = 0.4;
constexpr double kStraightShare = 0.8;
constexpr double kStraightDepthShare = 0.05;
constexpr double kContentLevelFactor = 2.0;

// Blurred fill. The fill/picture boundary must show as a jump, within the
// transition (kTransitionPixels), to kStepJump times the fill's own texture
// and to at least kStepFloor of the picture's: a blurred fill is uniformly
// smooth and a sharp picture starts at once (measured jumps of 10-50x), while
// a depth-of-field blur or a sky thins out gradually.
constexpr double kStepJump = 5.0;
constexpr double kStepFloor = 0.25;
// The seam: a jump across lines at least kSeamJump times the fill's own
// (a blurred fill changes by a fraction of a grey level per line; where it
// meets the picture the mean jump measured 5-30 levels) and at least
// kMinSeamJump grey levels.
constexpr double kSeamJump = 8.0;
constexpr double kMinSeamJump = 4.0;
// The seam as sole evidence (a band on each side, centred or not). Line y is
// a seam when its mean jump from line y - 1 is at least kMinSeamJump levels,
// kSeamPeak times the largest jump of the kSeamFillLines lines before it (a
// blurred fill, even with coarse structure, changes smoothly from line to
// line: neighbouring jumps differ by under 1.5x; the seam of an ffmpeg
// canvas measured 10-15x), at least kSeamOverPicture times the median jump of
// the picture lines after it (the seam plus the straddled line, against the
// picture's own edges; measured 2.5-5x), and full-width: its median jump over
// positions at least kSeamStraight of its mean (measured 0.8-1.0 at seams,
// 0.2-0.5 at a roofline or an object's edge). The band before it must have a
// mean texture under fill_energy_ratio of the picture's and no line above
// kBandLineMax of it (blurred structure of the fill reached 0.1 of the
// picture's texture, its seam lines 0.5-1.0).
constexpr double kSeamPeak = 4.0;
constexpr int kSeamFillLines = 3;
constexpr double kSeamOverPicture = 1.5;
constexpr int kSeamPictureLines = 8;
constexpr double kSeamStraight = 0.5;
constexpr double kBandLineMax = 0.4;
// Fill bands at the two ends that differ by at most this many lines are a
// centred picture whose centring was rounded (odd sizes, scaling).
constexpr int kCentringSlack = 2;
// Below this texture (mean |second difference|, grey levels) the picture
// itself is too flat (a dark scene, fog) for ratios to mean anything: codec
// noise alone reaches ~1 level, sharp pictures measured 5-22.
constexpr double kMinPictureEnergy = 3.0;
// A fill band must be at least this share of its axis (and 2 lines): canvases
// worth removing are 10-40% per side, and thin low-texture bands at the
// frame's edge are common in photos.
constexpr double kMinFillShare = 0.03;
// The picture's reference texture is the median over this central share of
// the lines left after uniform borders: with at most 40% removed per
// side, the central 20% is always picture.
constexpr double kCentreShare = 0.2;

// The soft edge of a border: a 1-3 px anti-aliased edge plus JPEG ringing in
// the 8x8 blocks straddling the boundary (up to 7 px into the border) and
// chroma/H.264 smear. The step into picture must show within this many
// pixels after the last border line (and within 2 lines).
constexpr int kTransitionPixels = 12;

// Lines removed from each side.
struct Extents {
  int top = 0;
  int bottom = 0;
  int left = 0;
  int right = 0;
};

// Per-line view of one side of one axis: line 0 at the frame's edge.
struct SideView {
  cv::Mat mean, sd, texture, across;  // CV_32FC1, lines x positions
  int transition = 2;                 // lines
};

cv::Mat FlipLines(const cv::Mat& m) {
  cv::Mat out;
  cv::flip(m, out, 0);
  return out;
}

float Median(std::vector<float> v) {
  if (v.empty()) return 0.0f;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// Uniform border at line 0 of a side: the lines, from line 0 on, whose
// positions in [begin, end) keep line 0's level in space and time, followed by
// a step into picture. 0 when there is none or it is longer than `limit`.
int UniformExtent(const SideView& v, int begin, int end, int limit, double tolerance,
                  bool needs_step) {
  const int n = end - begin;
  if (n <= 0) return 0;
  const float level =
      Median(std::vector<float>(v.mean.ptr<float>(0) + begin, v.mean.ptr<float>(0) + end));
  auto share = [&](int y, double tol) {
    const float* m = v.mean.ptr<float>(y);
    const float* s = v.sd.ptr<float>(y);
    int count = 0;
    for (int x = begin; x < end; ++x) count += std::abs(m[x] - level) <= tol && s[x] <= tol;
    return static_cast<double>(count) / n;
  };
  int k = 0;
  while (k < v.mean.rows && share(k, tolerance) >= kBorderCellShare) ++k;
  if (k == 0 || k > limit) return 0;
  if (!needs_step) return k;
  // The step: how many positions turn to picture within the transition, and
  // how many a little deeper. Padding ends along a straight line, so nearly
  // all positions that turn at all turn at once; a silhouette against a wall
  // or a skyline against a flat sky turns position by position.
  const double content = kContentLevelFactor * tolerance;
  const int near_end = std::min(k + v.transition, v.mean.rows);
  const int deep_end = std::min(
      near_end + std::max(2, static_cast<int>(kStraightDepthShare * v.mean.rows)), v.mean.rows);
  int near = 0, deep = 0;
  for (int x = begin; x < end; ++x) {
    for (int y = k; y < deep_end; ++y) {
      if (std::abs(v.mean.at<float>(y, x) - level) > content || v.sd.at<float>(y, x) > content) {
        near += y < near_end;
        ++deep;
        break;
      }
    }
  }
  const bool step =
      near >= kEdgeShare * n || (near >= kStepCellShare * n && near >= kStraightShare * deep);
  return step ? k : 0;
}

// Mean texture of each line over positions [begin, end), lines [0, lines).
std::vector<float> LineTexture(const cv::Mat& texture, int lines, int begin, int end) {
  std::vector<float> out;
  for (int y = 0; y < lines; ++y) {
    const float* p = texture.ptr<float>(y);
    double s = 0;
    for (int x = begin; x < end; ++x) s += p[x];
    out.push_back(end > begin ? static_cast<float>(s / (end - begin)) : 0.0f);
  }
  return out;
}

// Low-texture band at the start of `e`, ending in a boundary; 0 when none.
// `d[i]`: mean |jump| between lines i - 1 and i. The boundary is either the
// first line where the jump across lines leaps above the fill's own (the
// straight seam where a blurred copy meets the picture, found even when the
// picture's edge is itself soft, e.g. a shallow depth of field), or a leap in
// texture within the transition after the band (a sharp picture).
int FillExtent(const std::vector<float>& e, const std::vector<float>& d, double picture,
               double ratio, int min_lines, int limit, int transition) {
  const int n = static_cast<int>(e.size());
  int t = 0;
  while (t < n && e[t] <= ratio * picture) ++t;
  if (t < min_lines) return 0;
  const double seam = std::max(
      kMinSeamJump, kSeamJump * Median(std::vector<float>(d.begin() + 1, d.begin() + min_lines)));
  for (int y = min_lines; y < std::min(t + transition, n); ++y) {
    // Line y is the first that differs from the fill (it may straddle the
    // seam: it is kept); every line before it continues the fill.
    if (d[y] >= seam) return y <= limit ? y : 0;
  }
  if (t > limit) return 0;
  // The fill's own level next to the boundary, against which the step is seen.
  double fill = 0;
  const int tail = std::min(t, transition + 1);
  for (int y = t - tail; y < t; ++y) fill += e[y] / tail;
  const double step = std::max(kStepJump * fill, kStepFloor * picture);
  for (int y = t; y < std::min(t + transition, n); ++y) {
    // The last line under the ratio may still hold a little picture (a line
    // straddling the boundary): it is kept.
    if (e[y] >= step) return t - 1;
  }
  return 0;
}

// Low-texture band at the start of `e` that ends in a seam (see kSeamPeak);
// 0 when none. `dmed[i]`: the median over positions of the jump between
// lines i - 1 and i. Line y, the first after the band, is kept.
int SeamExtent(const std::vector<float>& e, const std::vector<float>& d,
               const std::vector<float>& dmed, double picture, double ratio, int min_lines,
               int limit) {
  const int n = static_cast<int>(e.size());
  double band = 0;
  for (int y = 1; y <= std::min(limit, n - kSeamPictureLines - 2); ++y) {
    band += e[y - 1];
    if (e[y - 1] > kBandLineMax * picture || band / y > ratio * picture) return 0;
    if (y < min_lines) continue;
    float fill_side = 0;
    for (int i = std::max(1, y - kSeamFillLines); i < y; ++i) fill_side = std::max(fill_side, d[i]);
    const float picture_side =
        Median(std::vector<float>(d.begin() + y + 2, d.begin() + y + 2 + kSeamPictureLines));
    if (d[y] >= kMinSeamJump && d[y] >= kSeamPeak * fill_side && dmed[y] >= kSeamStraight * d[y] &&
        d[y] + d[y + 1] >= kSeamOverPicture * picture_side) {
      return y;
    }
  }
  return 0;
}

// Blurred fill at both ends of one axis, within the lines [first, last) and
// positions [begin, end) left by the uniform borders. Returns the lines to
// remove at each end, or {0, 0}: each end's own band when the two agree
// within kCentringSlack lines (a centred picture, rounded), else the smaller
// band at both (see the header).
std::pair<int, int> CentredFill(const SideView& v, int first, int last, int begin, int end,
                                int limit_first, int limit_last, const BorderOptions& options) {
  const int lines = last - first;
  // Skip two positions at each end of the span: next to a removed uniform
  // border they hold the soft edge, whose second difference is not the fill's.
  begin += 2;
  end -= 2;
  if (lines < 16 || end - begin < 4) return {0, 0};
  std::vector<float> e = LineTexture(v.texture, v.texture.rows, begin, end);
  e = std::vector<float>(e.begin() + first, e.begin() + last);
  std::vector<float> d = LineTexture(v.across, v.across.rows, begin, end);
  d = std::vector<float>(d.begin() + first, d.begin() + last);
  d[0] = 0;  // the jump into the first line comes from a removed border
  // Seen from the far end: the jump between reversed lines i - 1 and i.
  std::vector<float> d_reversed(d.size(), 0.0f);
  for (int i = 1; i < lines; ++i) d_reversed[i] = d[lines - i];
  const int c0 = static_cast<int>(lines * (0.5 - kCentreShare / 2));
  const int c1 = std::max(c0 + 1, static_cast<int>(lines * (0.5 + kCentreShare / 2)));
  const double picture = Median(std::vector<float>(e.begin() + c0, e.begin() + c1));
  if (picture < kMinPictureEnergy) return {0, 0};
  const int min_lines = std::max(2, static_cast<int>(std::ceil(kMinFillShare * v.texture.rows)));
  const double ratio = options.fill_energy_ratio;
  {
    // Median jump over positions, per line (and seen from the far end).
    std::vector<float> dmed(lines, 0.0f), dmed_reversed(lines, 0.0f);
    for (int y = 1; y < lines; ++y) {
      const float* p = v.across.ptr<float>(first + y);
      dmed[y] = Median(std::vector<float>(p + begin, p + end));
    }
    for (int i = 1; i < lines; ++i) dmed_reversed[i] = dmed[lines - i];
    const std::vector<float> reversed(e.rbegin(), e.rend());
    const int a = SeamExtent(e, d, dmed, picture, ratio, min_lines, limit_first);
    const int b = a > 0 ? SeamExtent(reversed, d_reversed, dmed_reversed, picture, ratio, min_lines,
                                     limit_last)
                        : 0;
    if (a > 0 && b > 0) return {a, b};
  }
  const int a = FillExtent(e, d, picture, ratio, min_lines, limit_first, v.transition);
  if (a <= 0) return {0, 0};
  const std::vector<float> reversed(e.rbegin(), e.rend());
  const int b =
      FillExtent(reversed, d_reversed, picture, ratio, min_lines, limit_last, v.transition);
  if (a <= 0 || b <= 0) return {0, 0};
  if (std::abs(a - b) <= kCentringSlack) return {a, b};
  return {std::min(a, b), std::min(a, b)};
}

}  // namespace

BorderDetector::BorderDetector(int width, int height, BorderOptions options)
    : width_(width), height_(height), options_(options) {
  if (width_ < 1 || height_ < 1) return;
  // Whole blocks of pixels: the block means cost a few adds per pixel, where
  // cv::resize(INTER_AREA) to a size that does not divide the frame took
  // 5-6 ms for 720p. The last pixels of an axis (less than a block) are not
  // looked at; they go with the last line.
  const int side = std::max(8, options_.analysis_side);
  for (auto [axis, length] : {std::pair{&rows_, height_}, std::pair{&columns_, width_}}) {
    axis->length = length;
    axis->fine = std::max(1, length / (4 * side));
    axis->coarse = std::max(1, (length / side) / axis->fine) * axis->fine;
  }
  const cv::Size row_grid(width_ / columns_.coarse, height_ / rows_.fine);
  const cv::Size column_grid(width_ / columns_.fine, height_ / rows_.coarse);  // transposed
  columns_.transposed = true;
  for (auto [axis, grid] : {std::pair{&rows_, row_grid}, std::pair{&columns_, column_grid}}) {
    axis->sum = cv::Mat::zeros(grid, CV_64FC1);
    axis->sum_sq = cv::Mat::zeros(grid, CV_64FC1);
    axis->texture = cv::Mat::zeros(grid, CV_64FC1);
    axis->across = cv::Mat::zeros(grid, CV_64FC1);
    axis->frame.create(grid, CV_32FC1);
  }
}

void BorderDetector::AddFrame(const cv::Mat& luma) {
  if (rows_.sum.empty() || luma.empty()) return;
  if (luma.type() != CV_8UC1 && luma.type() != CV_32FC1) return;
  const cv::Mat* src = &luma;
  int fine_x = columns_.fine, fine_y = rows_.fine;
  if (luma.size() != cv::Size(width_, height_)) {
    // A frame of another size: onto the fine grid, where a line is a pixel.
    cv::resize(luma, reduced_, cv::Size(width_ / fine_x, height_ / fine_y), 0, 0, cv::INTER_AREA);
    src = &reduced_;
    fine_x = fine_y = 1;
  }
  const int coarse_x = columns_.coarse / columns_.fine * fine_x;
  const int coarse_y = rows_.coarse / rows_.fine * fine_y;
  if (src->type() == CV_8UC1) {
    BlockMeans<uint8_t, uint32_t>(*src, fine_x, fine_y, coarse_x, coarse_y, rows_.frame,
                                  columns_.frame, sums_u32_);
  } else {
    BlockMeans<float, float>(*src, fine_x, fine_y, coarse_x, coarse_y, rows_.frame, columns_.frame,
                             sums_f32_);
  }
  Accumulate(rows_);
  Accumulate(columns_);
  ++frames_;
}

void BorderDetector::Accumulate(Axis& axis) {
  cv::accumulate(axis.frame, axis.sum);
  cv::accumulateSquare(axis.frame, axis.sum_sq);
  // Second differences along the lines: a blur of sigma s positions keeps
  // only ~1/s^2 of them, where first differences keep ~1/s, so blurred fill
  // stands out against even a soft picture (fill/picture measured
  // 0.02-0.06).
  const cv::Mat& c = axis.frame;
  if (!axis.transposed) {
    for (int y = 0; y < c.rows; ++y) {
      const float* v = c.ptr<float>(y);
      double* t = axis.texture.ptr<double>(y);
      for (int x = 1; x + 1 < c.cols; ++x) t[x] += std::abs(v[x - 1] - 2 * v[x] + v[x + 1]);
      if (y == 0) continue;
      // The jump across lines, from line y - 1 into line y.
      const float* previous = c.ptr<float>(y - 1);
      double* a = axis.across.ptr<double>(y);
      for (int x = 0; x < c.cols; ++x) a[x] += std::abs(v[x] - previous[x]);
    }
  } else {
    for (int y = 0; y < c.rows; ++y) {
      const float* v = c.ptr<float>(y);
      double* a = axis.across.ptr<double>(y);
      for (int x = 1; x < c.cols; ++x) a[x] += std::abs(v[x] - v[x - 1]);
    }
    for (int y = 1; y + 1 < c.rows; ++y) {
      const float* above = c.ptr<float>(y - 1);
      const float* v = c.ptr<float>(y);
      const float* below = c.ptr<float>(y + 1);
      double* t = axis.texture.ptr<double>(y);
      for (int x = 0; x < c.cols; ++x) t[x] += std::abs(above[x] - 2 * v[x] + below[x]);
    }
  }
}

cv::Rect BorderDetector::ContentRect() const {
  const cv::Rect whole(0, 0, std::max(width_, 0), std::max(height_, 0));
  if (frames_ == 0) return whole;
  const double n = frames_;
  // Side views: 0 top, 1 bottom (rows_), 2 left, 3 right (columns_). The far
  // sides are the near ones flipped; only uniform borders look at them.
  SideView views[4];
  for (int side = 0; side < 4; side += 2) {
    const Axis& axis = side == 0 ? rows_ : columns_;
    SideView& v = views[side];
    cv::Mat sq, var;
    axis.sum.convertTo(v.mean, CV_32F, 1.0 / n);
    axis.sum_sq.convertTo(sq, CV_32F, 1.0 / n);
    var = sq - v.mean.mul(v.mean);
    cv::max(var, 0.0, var);
    cv::sqrt(var, v.sd);
    axis.texture.convertTo(v.texture, CV_32F, 1.0 / n);
    axis.across.convertTo(v.across, CV_32F, 1.0 / n);
    if (axis.transposed) {
      cv::transpose(v.mean, v.mean);
      cv::transpose(v.sd, v.sd);
      cv::transpose(v.texture, v.texture);
      cv::transpose(v.across, v.across);
    }
    v.transition = std::max(2, (kTransitionPixels + axis.fine - 1) / axis.fine);
    SideView& far = views[side + 1];
    far.mean = FlipLines(v.mean);
    far.sd = FlipLines(v.sd);
    far.transition = v.transition;
  }
  const int row_lines = views[0].mean.rows, row_positions = views[0].mean.cols;
  const int column_lines = views[2].mean.rows, column_positions = views[2].mean.cols;
  const double max_share = std::clamp(options_.max_border_fraction, 0.0, 0.49);
  const int row_limit = static_cast<int>(max_share * row_lines);
  const int column_limit = static_cast<int>(max_share * column_lines);
  // Lines of one axis removed -> the span of positions left on the other.
  // Lines removed from the ends of one axis -> the positions left along it
  // (for the other axis' lines), rounded inwards.
  auto span = [](int removed_a, int removed_b, int lines, const Axis& axis, int positions) {
    const int begin = (removed_a * axis.fine + axis.coarse - 1) / axis.coarse;
    const int end = std::min(positions, (lines - removed_b) * axis.fine / axis.coarse);
    return std::pair{begin, end};
  };

  // Uniform borders. Each side is measured across the span the other two
  // sides leave, so bars of different colours on adjacent sides still work;
  // two or three rounds settle it.
  Extents ext;
  const double tol = options_.level_tolerance;
  for (int round = 0; round < 3; ++round) {
    Extents next;
    const auto [rb, re] = span(ext.left, ext.right, column_lines, columns_, row_positions);
    const auto [cb, ce] = span(ext.top, ext.bottom, row_lines, rows_, column_positions);
    next.top = UniformExtent(views[0], rb, re, row_limit, tol, options_.uniform_needs_step);
    next.bottom = UniformExtent(views[1], rb, re, row_limit, tol, options_.uniform_needs_step);
    next.left = UniformExtent(views[2], cb, ce, column_limit, tol, options_.uniform_needs_step);
    next.right = UniformExtent(views[3], cb, ce, column_limit, tol, options_.uniform_needs_step);
    const bool same = next.top == ext.top && next.bottom == ext.bottom && next.left == ext.left &&
                      next.right == ext.right;
    ext = next;
    if (same) break;
  }

  if (options_.detect_blurred_fill) {
    const auto [rb, re] = span(ext.left, ext.right, column_lines, columns_, row_positions);
    const auto [cb, ce] = span(ext.top, ext.bottom, row_lines, rows_, column_positions);
    const auto [top, bottom] = CentredFill(views[0], ext.top, row_lines - ext.bottom, rb, re,
                                           row_limit - ext.top, row_limit - ext.bottom, options_);
    const auto [left, right] =
        CentredFill(views[2], ext.left, column_lines - ext.right, cb, ce, column_limit - ext.left,
                    column_limit - ext.right, options_);
    ext.top += top;
    ext.bottom += bottom;
    ext.left += left;
    ext.right += right;
  }

  // Lines to pixels. The last pixels of an axis (under one line) go with the
  // last line.
  const int top = ext.top * rows_.fine;
  const int bottom = ext.bottom == 0 ? height_ : (row_lines - ext.bottom) * rows_.fine;
  const int left = ext.left * columns_.fine;
  const int right = ext.right == 0 ? width_ : (column_lines - ext.right) * columns_.fine;
  const cv::Rect rect(left, top, right - left, bottom - top);
  return rect.empty() ? whole : (rect & whole);
}

cv::Rect DetectContentRect(const cv::Mat& luma, const BorderOptions& options) {
  BorderDetector detector(luma.cols, luma.rows, options);
  detector.AddFrame(luma);
  return detector.ContentRect();
}

}  // namespace hashwatch::media
