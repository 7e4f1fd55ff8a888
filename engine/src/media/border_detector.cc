#include "media/border_detector.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace hashwatch::media {
namespace {

// Share of a row's cells that must sit at the border level for the row to be
// border: 98% tolerates a stray cell or two of a 128-cell row (a speck of dust
// on a scan, a codec artefact) but not an object in a sky.
constexpr double kBorderCellShare = 0.98;
// Rows after the last border row that may be the soft edge: the 1-3 px
// anti-aliased edge, plus JPEG ringing inside the 8x8 blocks that straddle the
// boundary, span at most 2 cells once a frame is reduced 4x or more; the step
// into picture must show within this many rows or the band is not a border.
constexpr int kTransitionCells = 3;
// The step into picture: at least this share of a row's cells must differ from
// the border level by kContentLevelFactor x level_tolerance (or vary over time
// that much). A padded picture differs along most of its edge row (measured
// 0.6-1.0 on the test photos); a flat sky meeting a skyline, or a plain wall
// meeting a person's silhouette, differs along only a small part of it.
constexpr double kStepCellShare = 0.4;
constexpr double kContentLevelFactor = 2.0;

// Blurred fill. The fill/picture boundary must show as a rise to at least
// this fraction of the picture's energy within kTransitionCells rows: a sharp
// picture starts at full texture, while a depth-of-field blur or a sky thins
// out gradually.
constexpr double kStepEnergyRatio = 0.5;
// Below this mean |gradient| (grey levels per cell) the picture itself is too
// flat (a dark scene, fog) for energy ratios to mean anything: JPEG/H.264
// noise alone reaches ~1 level per cell.
constexpr double kMinPictureEnergy = 3.0;
// A fill band must be at least this share of its axis (and 2 cells): canvases
// worth removing are 10-40% per side, and thin low-texture bands at the
// frame's edge are common in photos.
constexpr double kMinFillShare = 0.03;
// The picture's reference energy is the median over this central share of the
// rows (columns) left after uniform borders: with at most 40% removed per
// side, the central 20% is always picture.
constexpr double kCentreShare = 0.2;

// Cells removed from each side, in grid cells.
struct Cells {
  int top = 0;
  int bottom = 0;
  int left = 0;
  int right = 0;
};

// The four sides as views in which the side is row 0 and the picture lies
// towards higher rows: top as is, bottom flipped, left and right transposed.
cv::Mat SideView(const cv::Mat& m, int side) {
  cv::Mat out;
  switch (side) {
    case 0: out = m; break;
    case 1: cv::flip(m, out, 0); break;
    case 2: cv::transpose(m, out); break;
    default:
      cv::transpose(m, out);
      cv::flip(out, out, 0);
      break;
  }
  return out;
}

float Median(std::vector<float> v) {
  if (v.empty()) return 0.0f;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

// Uniform border at row 0 of a side view: the rows, from row 0 on, whose cells
// in columns [begin, end) keep row 0's level in space and time, followed by a
// step into picture. 0 when there is none or it is longer than `limit`.
int UniformExtent(const cv::Mat& mean, const cv::Mat& sd, int begin, int end, int limit,
                  double tolerance) {
  const int n = end - begin;
  if (n <= 0) return 0;
  const float level =
      Median(std::vector<float>(mean.ptr<float>(0) + begin, mean.ptr<float>(0) + end));
  auto share = [&](int y, double mean_tol, double sd_tol, bool inside) {
    const float* m = mean.ptr<float>(y);
    const float* s = sd.ptr<float>(y);
    int count = 0;
    for (int x = begin; x < end; ++x) {
      const bool within = std::abs(m[x] - level) <= mean_tol && s[x] <= sd_tol;
      count += within == inside;
    }
    return static_cast<double>(count) / n;
  };
  int k = 0;
  while (k < mean.rows && share(k, tolerance, tolerance, true) >= kBorderCellShare) ++k;
  if (k == 0 || k > limit) return 0;
  const double content = kContentLevelFactor * tolerance;
  for (int y = k; y < std::min(k + kTransitionCells, mean.rows); ++y) {
    if (share(y, content, content, false) >= kStepCellShare) return k;
  }
  return 0;
}

// Mean along each line of `g` (rows of a side view) over columns [begin, end).
std::vector<float> LineMeans(const cv::Mat& g, int row_begin, int row_end, int begin, int end) {
  std::vector<float> out;
  for (int y = row_begin; y < row_end; ++y) {
    const float* p = g.ptr<float>(y);
    double s = 0;
    for (int x = begin; x < end; ++x) s += p[x];
    out.push_back(end > begin ? static_cast<float>(s / (end - begin)) : 0.0f);
  }
  return out;
}

// Low-energy band at the start of `e`, ending in a step; 0 when none.
int FillExtent(const std::vector<float>& e, double picture, double ratio, int min_cells,
               int limit) {
  const int n = static_cast<int>(e.size());
  int t = 0;
  while (t < n && e[t] <= ratio * picture) ++t;
  if (t < min_cells || t > limit) return 0;
  for (int y = t; y < std::min(t + kTransitionCells, n); ++y) {
    if (e[y] >= kStepEnergyRatio * picture) return t;
  }
  return 0;
}

// Blurred fill on both ends of the lines [begin, end) of a side view pair:
// `g` holds the gradient along the lines (|dx| for rows). Returns the cells to
// remove from each end (the same for both), or 0.
int CentredFill(const cv::Mat& g, int begin, int end, int span_begin, int span_end, int limit_begin,
                int limit_end, int axis_cells, const BorderOptions& options) {
  const int lines = end - begin;
  // Skip the outermost cell of the span on each side: next to a removed
  // uniform border it holds the soft edge, whose gradient is not the fill's.
  span_begin += 1;
  span_end -= 2;  // also the last difference, which reaches the next cell
  if (lines < 8 || span_end - span_begin < 4) return 0;
  const std::vector<float> e = LineMeans(g, begin, end, span_begin, span_end);
  const int c0 = static_cast<int>(lines * (0.5 - kCentreShare / 2));
  const int c1 = std::max(c0 + 1, static_cast<int>(lines * (0.5 + kCentreShare / 2)));
  const double picture = Median(std::vector<float>(e.begin() + c0, e.begin() + c1));
  if (picture < kMinPictureEnergy) return 0;
  const int min_cells = std::max(2, static_cast<int>(std::ceil(kMinFillShare * axis_cells)));
  const int a = FillExtent(e, picture, options.fill_energy_ratio, min_cells, limit_begin);
  if (a == 0) return 0;
  const std::vector<float> reversed(e.rbegin(), e.rend());
  const int b = FillExtent(reversed, picture, options.fill_energy_ratio, min_cells, limit_end);
  return std::min(a, b);
}

}  // namespace

BorderDetector::BorderDetector(int width, int height, BorderOptions options)
    : width_(width), height_(height), options_(options) {
  if (width_ < 1 || height_ < 1) return;
  const int side = std::max(8, options_.analysis_side);
  grid_ = cv::Size(std::min(width_, side), std::min(height_, side));
  sum_ = cv::Mat::zeros(grid_, CV_64FC1);
  sum_sq_ = cv::Mat::zeros(grid_, CV_64FC1);
  grad_x_ = cv::Mat::zeros(grid_, CV_64FC1);
  grad_y_ = cv::Mat::zeros(grid_, CV_64FC1);
}

void BorderDetector::AddFrame(const cv::Mat& luma) {
  if (sum_.empty() || luma.empty()) return;
  if (luma.type() != CV_8UC1 && luma.type() != CV_32FC1) return;
  if (luma.size() == grid_) {
    luma.convertTo(cells_, CV_32F);
  } else if (luma.type() == CV_8UC1) {
    // Reducing in 8 bits is several times faster than converting the whole
    // frame to float first; the rounding (0.5 level) is far below tolerance.
    cv::resize(luma, small_, grid_, 0, 0, cv::INTER_AREA);
    small_.convertTo(cells_, CV_32F);
  } else {
    cv::resize(luma, cells_, grid_, 0, 0, cv::INTER_AREA);
  }
  cv::accumulate(cells_, sum_);
  cv::accumulateSquare(cells_, sum_sq_);
  for (int y = 0; y < grid_.height; ++y) {
    const float* c = cells_.ptr<float>(y);
    const float* below = cells_.ptr<float>(std::min(y + 1, grid_.height - 1));
    double* gx = grad_x_.ptr<double>(y);
    double* gy = grad_y_.ptr<double>(y);
    for (int x = 0; x + 1 < grid_.width; ++x) gx[x] += std::abs(c[x + 1] - c[x]);
    for (int x = 0; x < grid_.width; ++x) gy[x] += std::abs(below[x] - c[x]);
  }
  ++frames_;
}

cv::Rect BorderDetector::ContentRect() const {
  const cv::Rect whole(0, 0, std::max(width_, 0), std::max(height_, 0));
  if (frames_ == 0) return whole;
  const double n = frames_;
  cv::Mat mean, sq, sd, gx, gy;
  sum_.convertTo(mean, CV_32F, 1.0 / n);
  sum_sq_.convertTo(sq, CV_32F, 1.0 / n);
  cv::Mat var = sq - mean.mul(mean);
  cv::max(var, 0.0, var);
  cv::sqrt(var, sd);
  grad_x_.convertTo(gx, CV_32F, 1.0 / n);
  grad_y_.convertTo(gy, CV_32F, 1.0 / n);

  const int w = grid_.width;
  const int h = grid_.height;
  const double max_share = std::clamp(options_.max_border_fraction, 0.0, 0.49);
  const int limit_rows = static_cast<int>(max_share * h);
  const int limit_cols = static_cast<int>(max_share * w);
  cv::Mat mean_view[4], sd_view[4];
  for (int side = 0; side < 4; ++side) {
    mean_view[side] = SideView(mean, side);
    sd_view[side] = SideView(sd, side);
  }

  // Uniform borders. Each side is measured across the span the other two
  // sides leave, so bars of different colours on adjacent sides still work;
  // two or three rounds settle it.
  Cells cells;
  for (int round = 0; round < 3; ++round) {
    Cells next;
    const double tol = options_.level_tolerance;
    next.top =
        UniformExtent(mean_view[0], sd_view[0], cells.left, w - cells.right, limit_rows, tol);
    next.bottom =
        UniformExtent(mean_view[1], sd_view[1], cells.left, w - cells.right, limit_rows, tol);
    next.left =
        UniformExtent(mean_view[2], sd_view[2], cells.top, h - cells.bottom, limit_cols, tol);
    next.right =
        UniformExtent(mean_view[3], sd_view[3], cells.top, h - cells.bottom, limit_cols, tol);
    const bool same = next.top == cells.top && next.bottom == cells.bottom &&
                      next.left == cells.left && next.right == cells.right;
    cells = next;
    if (same) break;
  }

  if (options_.detect_blurred_fill) {
    // Rows: texture along each row (|dx|); columns: along each column (|dy|),
    // taken through a transpose so both use the same line code.
    const int rows = CentredFill(gx, cells.top, h - cells.bottom, cells.left, w - cells.right,
                                 limit_rows - cells.top, limit_rows - cells.bottom, h, options_);
    cv::Mat gy_t;
    cv::transpose(gy, gy_t);
    const int cols = CentredFill(gy_t, cells.left, w - cells.right, cells.top, h - cells.bottom,
                                 limit_cols - cells.left, limit_cols - cells.right, w, options_);
    cells.top += rows;
    cells.bottom += rows;
    cells.left += cols;
    cells.right += cols;
  }

  // Grid cells to pixels, rounding outwards: a cell that straddles the
  // boundary is kept, so no picture pixel is ever cut by the rounding.
  const double sy = static_cast<double>(height_) / h;
  const double sx = static_cast<double>(width_) / w;
  const int top = static_cast<int>(std::floor(cells.top * sy));
  const int bottom = static_cast<int>(std::ceil((h - cells.bottom) * sy));
  const int left = static_cast<int>(std::floor(cells.left * sx));
  const int right = static_cast<int>(std::ceil((w - cells.right) * sx));
  const cv::Rect rect(left, top, right - left, bottom - top);
  return rect.empty() ? whole : (rect & whole);
}

cv::Rect DetectContentRect(const cv::Mat& luma, const BorderOptions& options) {
  BorderDetector detector(luma.cols, luma.rows, options);
  detector.AddFrame(luma);
  return detector.ContentRect();
}

}  // namespace hashwatch::media
