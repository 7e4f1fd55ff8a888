// BlockMeans: the border detector's per-frame reduction of a grey frame to
// two profiles in one pass: per line of pixel rows, block means along the
// row; per line of pixel columns, block means down the column (stored
// transposed). Templates over the pixel type (uint8 or float) and the sum
// type; pure functions, thread-safe. Used by media/border_detector.cc.
#ifndef HASHWATCH_MEDIA_BLOCK_MEANS_H_
#define HASHWATCH_MEDIA_BLOCK_MEANS_H_

#include <algorithm>
#include <opencv2/core.hpp>
#include <vector>

namespace hashwatch::media {

// Means of runs of `coarse` values of `line` into `out` (`positions` runs).
// A run is sampled at up to kRunSamples evenly spaced values: a position only
// averages out noise, which 3 samples next to the vertical averaging of the
// other profile do well enough, and this loop is the larger part of
// AddFrame's cost. Loops run along the positions (long) rather than within a
// run (short).
constexpr int kRunSamples = 3;
template <typename Value>
void RunMeans(const Value* __restrict line, int coarse, float* __restrict out, int positions) {
  const int step = std::max(1, (coarse + kRunSamples - 1) / kRunSamples);
  const int first = step / 2;
  for (int c = 0; c < positions; ++c) out[c] = static_cast<float>(line[first + c * coarse]);
  int samples = 1;
  for (int k = first + step; k < coarse; k += step, ++samples) {
    const Value* p = line + k;
    for (int c = 0; c < positions; ++c) out[c] += static_cast<float>(p[c * coarse]);
  }
  const float scale = 1.0f / static_cast<float>(samples);
  for (int c = 0; c < positions; ++c) out[c] *= scale;
}

// Means of `fine` x `coarse` pixel blocks of the top-left part of `src`, in
// one pass: `rows` gets, per line of `fine_y` pixel rows, the means over
// `coarse_x` columns; `columns` (stored positions x lines, transposed) gets,
// per line of `fine_x` pixel columns, the means over `coarse_y` rows
// (coarse_y a multiple of fine_y). Pixel rows are summed first (vectorised),
// then blocks along them.
template <typename Pixel, typename Sum>
void BlockMeans(const cv::Mat& src, int fine_x, int fine_y, int coarse_x, int coarse_y,
                cv::Mat& rows, cv::Mat& columns, std::vector<Sum>& buffer) {
  const int used = std::max(rows.cols * coarse_x, columns.cols * fine_x);
  buffer.resize(2 * static_cast<size_t>(used));
  Sum* __restrict line = buffer.data();
  Sum* __restrict band = buffer.data() + used;
  std::fill(band, band + used, Sum{0});
  const int lines_per_band = coarse_y / fine_y;
  // Bands of 4 lines or more take every other line, like RunMeans.
  const int band_step = lines_per_band >= 4 ? 2 : 1;
  const int band_lines = (lines_per_band + band_step - 1) / band_step;
  const float column_scale = 1.0f / static_cast<float>(fine_x * fine_y * band_lines);
  for (int ly = 0; ly < rows.rows; ++ly) {
    const int cy = ly / lines_per_band;
    const bool to_band = cy < columns.rows && (ly % lines_per_band) % band_step == 0;
    if (fine_y == 1) {  // the common case: no copy of the pixel row
      const Pixel* __restrict p = src.ptr<Pixel>(ly);
      RunMeans(p, coarse_x, rows.ptr<float>(ly), rows.cols);
      if (to_band) {
        for (int x = 0; x < used; ++x) band[x] += p[x];
      }
    } else {
      std::fill(line, line + used, Sum{0});
      for (int r = 0; r < fine_y; ++r) {
        const Pixel* __restrict p = src.ptr<Pixel>(ly * fine_y + r);
        for (int x = 0; x < used; ++x) line[x] += p[x];
      }
      float* out = rows.ptr<float>(ly);
      RunMeans(line, coarse_x, out, rows.cols);
      for (int cx = 0; cx < rows.cols; ++cx) out[cx] /= static_cast<float>(fine_y);
      if (to_band) {
        for (int x = 0; x < used; ++x) band[x] += line[x];
      }
    }
    if (cy >= columns.rows || (ly + 1) % lines_per_band != 0) continue;
    float* __restrict out = columns.ptr<float>(cy);
    std::fill(out, out + columns.cols, 0.0f);
    for (int k = 0; k < fine_x; ++k) {
      for (int lx = 0; lx < columns.cols; ++lx)
        out[lx] += static_cast<float>(band[lx * fine_x + k]);
    }
    for (int lx = 0; lx < columns.cols; ++lx) out[lx] *= column_scale;
    std::fill(band, band + used, Sum{0});
  }
}

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_BLOCK_MEANS_H_
