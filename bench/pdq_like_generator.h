// Synthetic PDQ-like hashes for the benchmarks (search_bench.cc,
// video_bench.cc): a seedable generator and the bit layout PDQ uses.
#ifndef HASHWATCH_BENCH_PDQ_LIKE_GENERATOR_H_
#define HASHWATCH_BENCH_PDQ_LIKE_GENERATOR_H_

#include <algorithm>
#include <cstdint>

#include "index/index_hit.h"

namespace hashwatch::bench {

// splitmix64 (Steele, Lea, Flood 2014): fast, seedable, good enough here.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint32_t Below(uint32_t n) { return static_cast<uint32_t>(((Next() >> 32) * n) >> 32); }
  double Uniform() { return (Next() >> 11) * 0x1.0p-53; }
};

// Synthetic hashes shaped like PDQ rather than uniform noise:
// - bit (i, j) is DCT coefficient (row i, column j) and is stored where PDQ
//   stores it: bit j of 16-bit word i, words in hex order 15..0 (design.md
//   section 4, fact 6);
// - each bit has its own probability of being 1, p ~ U[0.3, 0.7];
// - bits are correlated with their DCT neighbours: with probability 0.3 a
//   bit copies its left neighbour (j - 1) or the one above (i - 1), half each;
// - hashes come in clusters (one image and its re-encodes, crops, ...): a
//   base plus 0..19 variants at 2..30 flipped bits, cluster sizes skewed
//   small (1 + floor(20 u^4): mean 5).
class PdqLikeGenerator {
 public:
  static constexpr double kCopyNeighbour = 0.3;

  explicit PdqLikeGenerator(uint64_t seed) {
    Rng rng{seed ^ 0x5EEDB175ULL};
    for (int k = 0; k < 256; ++k) {
      const double p = 0.3 + 0.4 * rng.Uniform();
      threshold_[k] = static_cast<uint32_t>(p * 4294967296.0);
    }
  }

  void Base(Rng& rng, uint8_t* out) const {
    bool bit[256];
    for (int k = 0; k < 256; ++k) {
      const uint64_t r = rng.Next();
      const uint32_t choice = static_cast<uint32_t>(r >> 32);
      const int i = k / 16, j = k % 16;
      if (choice < kCopyNeighbour * 4294967296.0 && (i > 0 || j > 0)) {
        const bool left = (choice & 1) ? j > 0 : i == 0;
        bit[k] = left ? bit[k - 1] : bit[k - 16];
      } else {
        bit[k] = static_cast<uint32_t>(r) < threshold_[k];
      }
    }
    std::fill(out, out + kPdqCodeBytes, 0);
    for (int k = 0; k < 256; ++k) {
      if (bit[k]) SetBit(out, k);
    }
  }

  // Copies `in` with exactly `flips` distinct random bits flipped.
  static void Perturb(Rng& rng, const uint8_t* in, int flips, uint8_t* out) {
    std::copy(in, in + kPdqCodeBytes, out);
    uint64_t chosen[4] = {0, 0, 0, 0};
    for (int f = 0; f < flips;) {
      const uint32_t k = rng.Below(256);
      if (chosen[k / 64] >> (k % 64) & 1) continue;
      chosen[k / 64] |= uint64_t{1} << (k % 64);
      out[k / 8] ^= static_cast<uint8_t>(1u << (k % 8));
      ++f;
    }
  }

  static int ClusterSize(Rng& rng) {
    const double u = rng.Uniform();
    return 1 + static_cast<int>(19.999 * u * u * u * u);  // 1..20
  }

 private:
  // PDQ bit (i, j): bit j of word i; word i is bytes 2*(15-i) (high half)
  // and 2*(15-i)+1 (low half) of the hex-ordered code.
  static void SetBit(uint8_t* code, int k) {
    const int i = k / 16, j = k % 16;
    const int byte = 2 * (15 - i) + (j < 8 ? 1 : 0);
    code[byte] |= static_cast<uint8_t>(1u << (j % 8));
  }

  uint32_t threshold_[256];
};

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_PDQ_LIKE_GENERATOR_H_
