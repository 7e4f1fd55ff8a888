#include "signals/jarosz_filter.h"

#include <algorithm>
#include <vector>

namespace hashwatch::signals {
namespace {

// Box mean along each row of `m` (CV_32FC1, continuous), in place. The window
// of output k is [k - (w - h), k + h - 1] with h = (w + 2) / 2, clipped to the
// row: centred for odd w, one more pixel ahead for even w, as in the PDQ
// reference's box1DFloat.
void BoxFilterRows(cv::Mat& m, int w) {
  const int n = m.cols;
  const int half = (w + 2) / 2;
  const int behind = w - half, ahead = half - 1;
  std::vector<float> line(n);
  for (int r = 0; r < m.rows; ++r) {
    float* row = m.ptr<float>(r);
    std::copy(row, row + n, line.begin());
    double sum = 0;
    int lo = 0, hi = -1;  // current window is line[lo..hi]
    for (int k = 0; k < n; ++k) {
      const int want_hi = std::min(n - 1, k + ahead);
      const int want_lo = std::max(0, k - behind);
      while (hi < want_hi) sum += line[++hi];
      while (lo < want_lo) sum -= line[lo++];
      row[k] = static_cast<float>(sum / (hi - lo + 1));
    }
  }
}

int WindowSize(int dim) { return (dim + 2 * kPdqGrid - 1) / (2 * kPdqGrid); }

}  // namespace

cv::Mat JaroszDownsample(const cv::Mat& luma) {
  CV_Assert(luma.type() == CV_32FC1 && !luma.empty());
  const int rows = luma.rows, cols = luma.cols;
  const int along_rows = WindowSize(cols), along_cols = WindowSize(rows);
  cv::Mat buf = luma.clone();
  cv::Mat t;
  for (int pass = 0; pass < 2; ++pass) {
    BoxFilterRows(buf, along_rows);
    cv::transpose(buf, t);
    BoxFilterRows(t, along_cols);
    cv::transpose(t, buf);
  }
  cv::Mat out(kPdqGrid, kPdqGrid, CV_32FC1);
  for (int i = 0; i < kPdqGrid; ++i) {
    const int y = static_cast<int>((i + 0.5) * rows / kPdqGrid);
    const float* src = buf.ptr<float>(y);
    float* dst = out.ptr<float>(i);
    for (int j = 0; j < kPdqGrid; ++j) {
      dst[j] = src[static_cast<int>((j + 0.5) * cols / kPdqGrid)];
    }
  }
  return out;
}

}  // namespace hashwatch::signals
