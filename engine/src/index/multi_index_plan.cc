#include "index/multi_index_plan.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "index/index_hit.h"

namespace hashwatch {
namespace {

// Cost of one table probed with threshold t over n codes (see the header).
double TableCost(int bits, int t, size_t n) {
  const double ball = BallSize(bits, t);
  return ball + static_cast<double>(n) * ball / std::ldexp(1.0, bits);
}

}  // namespace

double BallSize(int bits, int t) {
  double total = 0;
  double c = 1;  // C(bits, k)
  for (int k = 0; k <= t && k <= bits; ++k) {
    total += c;
    c = c * (bits - k) / (k + 1);
  }
  return total;
}

MultiIndexPlan MultiIndexPlan::WithSubstrings(int m) {
  MultiIndexPlan plan;
  const int base = kPdqCodeBits / m;
  const int longer = kPdqCodeBits % m;
  int offset = 0;
  for (int i = 0; i < m; ++i) {
    const int b = base + (i < longer ? 1 : 0);
    plan.bits_.push_back(b);
    plan.offsets_.push_back(offset);
    offset += b;
  }
  return plan;
}

MultiIndexPlan MultiIndexPlan::ForSize(size_t n) {
  // m > 16 would mean substrings of < 16 bits: buckets of n / 65536 codes,
  // i.e. FAISS's IndexBinaryMultiHash regime, which the model never prefers
  // above 1M codes. m < 8 does not fit a key in 32 bits.
  int best_m = 16;
  double best_cost = std::numeric_limits<double>::infinity();
  for (int m = kMinSubstrings; m <= 16; ++m) {
    const Estimate e = WithSubstrings(m).EstimateCost(kPdqMatchRadius, n);
    const double cost = e.probes + e.candidates;
    if (cost < best_cost) {
      best_cost = cost;
      best_m = m;
    }
  }
  return WithSubstrings(best_m);
}

uint32_t MultiIndexPlan::Extract(const uint8_t* code, int i) const {
  const int offset = offsets_[i];
  // Load 8 bytes that contain the substring without reading past byte 31.
  const int start_byte = offset / 8 < 24 ? offset / 8 : 24;
  uint64_t v;
  std::memcpy(&v, code + start_byte, 8);
  if constexpr (std::endian::native == std::endian::big) {
    v = __builtin_bswap64(v);
  }
  v >>= offset - 8 * start_byte;
  return static_cast<uint32_t>(v & ((uint64_t{1} << bits_[i]) - 1));
}

std::vector<int> MultiIndexPlan::Thresholds(int radius, size_t n) const {
  const int m = substrings();
  std::vector<int> t(m, -1);
  for (int unit = 0; unit <= radius; ++unit) {
    int best = 0;
    double best_marginal = std::numeric_limits<double>::infinity();
    for (int i = 0; i < m; ++i) {
      if (t[i] + 1 > bits_[i]) continue;  // the whole key space already
      const double marginal = TableCost(bits_[i], t[i] + 1, n) - TableCost(bits_[i], t[i], n);
      if (marginal < best_marginal) {
        best_marginal = marginal;
        best = i;
      }
    }
    if (best_marginal == std::numeric_limits<double>::infinity()) break;
    ++t[best];
  }
  return t;
}

MultiIndexPlan::Estimate MultiIndexPlan::EstimateCost(int radius, size_t n) const {
  Estimate e;
  const std::vector<int> t = Thresholds(radius, n);
  for (int i = 0; i < substrings(); ++i) {
    const double ball = BallSize(bits_[i], t[i]);
    e.probes += ball;
    e.candidates += static_cast<double>(n) * ball / std::ldexp(1.0, bits_[i]);
  }
  return e;
}

}  // namespace hashwatch
