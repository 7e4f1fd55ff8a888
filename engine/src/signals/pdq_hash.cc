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
        d[i][j] =
            static_cast<float>(scale * std::cos(M_PI / (2 * kPdqGrid) * (i + 1) * (2 * j + 1)));
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
  std::array<float, kDct* kDct> sorted = values;
  std::nth_element(sorted.begin(), sorted.begin() + 127, sorted.end());
  const float median = sorted[127];
  PdqBits bits{};
  for (int k = 0; k < kDct * kDct; ++k) {
    if (values[k] > median) SetBit(bits, k);
  }
  return bits;
}

Block Transpose(const Block& b) {
  Block t{};
  for (int i = 0; i < kDct; ++i) {
    for (int j = 0; j < kDct; ++j) t[i][j] = b[j][i];
  }
  return t;
}

Block DctOfMirrored(const cv::Mat& luma, int flip_code) {
  cv::Mat mirrored;
  cv::flip(luma, mirrored, flip_code);
  return Dct16(JaroszDownsample(mirrored));
}

}  // namespace

PdqResult ComputePdq(const cv::Mat& luma, bool dihedral) {
  PdqResult result;
  if (luma.rows < 5 || luma.cols < 5) return result;
  const cv::Mat grid = JaroszDownsample(luma);
  result.quality = Quality(grid);
  const Block b = Dct16(grid);
  result.hash = Threshold(b);
  if (!dihedral) return result;

  // Transposing the image transposes the DCT block exactly (the filter treats
  // both axes alike). Mirroring would only flip the signs of alternate rows or
  // columns if the filter and the grid sampling were mirror-symmetric; with
  // even Jarosz windows they are not, and that shortcut put the reference's
  // mirrored test photos 8-22 bits from their variant at our working size.
  // So the three mirror images are filtered for real and the other four
  // variants are their transposes.
  const Block top_bottom = DctOfMirrored(luma, 0);
  const Block left_right = DctOfMirrored(luma, 1);
  const Block both = DctOfMirrored(luma, -1);
  auto set = [&](Dihedral d, const Block& block) {
    result.dihedral[static_cast<int>(d)] = Threshold(block);
  };
  result.dihedral[0] = result.hash;
  set(Dihedral::kRotate90, Transpose(left_right));  // = transpose of the left-right mirror
  set(Dihedral::kRotate180, both);
  set(Dihedral::kRotate270, Transpose(top_bottom));  // = transpose of the top-bottom mirror
  set(Dihedral::kFlipX, top_bottom);
  set(Dihedral::kFlipY, left_right);
  set(Dihedral::kFlipPlus1, Transpose(b));
  set(Dihedral::kFlipMinus1, Transpose(both));
  return result;
}

}  // namespace hashwatch::signals
