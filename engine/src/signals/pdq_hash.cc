#include "signals/pdq_hash.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "hashwatch/signal.h"
#include "signals/jarosz_filter.h"

namespace hashwatch::signals {
namespace {

constexpr int kDct = 16;  // DCT frequencies kept per axis

using Block = std::array<std::array<float, kDct>, kDct>;

// D[i][j] = sqrt(2/64) * cos(pi/128 * (i+1) * (2j+1)): rows 1..16 of the
// orthonormal DCT-II basis on 64 points, DC row dropped.
const std::array<std::array<float, kPdqGrid>, kDct>& DctMatrix() {
  static const auto matrix = [] {
    std::array<std::array<float, kPdqGrid>, kDct> d{};
    const double scale = std::sqrt(2.0 / kPdqGrid);
    for (int i = 0; i < kDct; ++i) {
      for (int j = 0; j < kPdqGrid; ++j) {
        d[i][j] = static_cast<float>(scale * std::cos(M_PI / (2 * kPdqGrid) * (i + 1) * (2 * j + 1)));
      }
    }
    return d;
  }();
  return matrix;
}

// Gradient-based quality: sum over neighbour pairs of |int((u - v) * 100 /
// 255)|, divided by 90, capped at 100 (pdq/README, "Quality metric").
int Quality(const cv::Mat& g) {
  int sum = 0;
  for (int i = 0; i < kPdqGrid; ++i) {
    const float* row = g.ptr<float>(i);
    const float* next = i + 1 < kPdqGrid ? g.ptr<float>(i + 1) : nullptr;
    for (int j = 0; j < kPdqGrid; ++j) {
      if (next) sum += std::abs(static_cast<int>((row[j] - next[j]) * 100 / 255));
      if (j + 1 < kPdqGrid) sum += std::abs(static_cast<int>((row[j] - row[j + 1]) * 100 / 255));
    }
  }
  return std::min(100, sum / 90);
}

// B = D * A * D^T.
Block Dct16(const cv::Mat& a) {
  const auto& d = DctMatrix();
  std::array<std::array<double, kPdqGrid>, kDct> t{};  // D * A
  for (int i = 0; i < kDct; ++i) {
    for (int k = 0; k < kPdqGrid; ++k) {
      const double dik = d[i][k];
      const float* row = a.ptr<float>(k);
      for (int j = 0; j < kPdqGrid; ++j) t[i][j] += dik * row[j];
    }
  }
  Block b{};
  for (int i = 0; i < kDct; ++i) {
    for (int j = 0; j < kDct; ++j) {
      double s = 0;
      for (int k = 0; k < kPdqGrid; ++k) s += t[i][k] * d[j][k];
      b[i][j] = static_cast<float>(s);
    }
  }
  return b;
}

void SetBit(PdqBits& bits, int k) {
  const int word = k / 16, bit = k % 16;
  const int byte = (15 - word) * 2 + (bit >= 8 ? 0 : 1);
  bits[byte] |= static_cast<uint8_t>(1u << (bit % 8));
}

// Bit k = i*16 + j is set when b[i][j] exceeds the median of the 256 values
// (the lower median, as the reference's Torben selection returns).
PdqBits Threshold(const Block& b) {
  std::array<float, kDct * kDct> values;
  for (int i = 0; i < kDct; ++i) std::copy(b[i].begin(), b[i].end(), values.begin() + i * kDct);
  std::array<float, kDct * kDct> sorted = values;
  std::nth_element(sorted.begin(), sorted.begin() + 127, sorted.end());
  const float median = sorted[127];
  PdqBits bits{};
  for (int k = 0; k < kDct * kDct; ++k) {
    if (values[k] > median) SetBit(bits, k);
  }
  return bits;
}

// Mirroring the 64x64 grid left-right multiplies DCT column j by (-1)^(j+1);
// top-bottom does the same for row i; mirroring about the main diagonal
// transposes the block. Every dihedral transform is a combination.
Block Transform(const Block& b, bool transpose, bool negate_even_rows, bool negate_even_cols) {
  Block out{};
  for (int i = 0; i < kDct; ++i) {
    for (int j = 0; j < kDct; ++j) {
      float v = transpose ? b[j][i] : b[i][j];
      if (negate_even_rows && i % 2 == 0) v = -v;
      if (negate_even_cols && j % 2 == 0) v = -v;
      out[i][j] = v;
    }
  }
  return out;
}

}  // namespace

PdqResult ComputePdq(const cv::Mat& luma) {
  PdqResult result;
  if (luma.rows < 5 || luma.cols < 5) return result;
  const cv::Mat grid = JaroszDownsample(luma);
  result.quality = Quality(grid);
  const Block b = Dct16(grid);
  // {transpose, negate even rows, negate even columns} per Dihedral value,
  // derived by substituting the transformed pixel coordinates into the DCT sum.
  static constexpr bool kOps[kDihedralCount][3] = {
      {false, false, false},  // original
      {true, false, true},    // rotate 90 clockwise
      {false, true, true},    // rotate 180
      {true, true, false},    // rotate 270 clockwise
      {false, false, true},   // mirror left-right
      {false, true, false},   // mirror top-bottom
      {true, false, false},   // mirror about the main diagonal
      {true, true, true},     // mirror about the anti-diagonal
  };
  for (int d = 0; d < kDihedralCount; ++d) {
    result.dihedral[d] = Threshold(d == 0 ? b : Transform(b, kOps[d][0], kOps[d][1], kOps[d][2]));
  }
  result.hash = result.dihedral[0];
  return result;
}

}  // namespace hashwatch::signals
