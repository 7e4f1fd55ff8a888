// PDQ: Meta's 256-bit perceptual image hash, computed from luma.
//
// Steps (design notes section 4; ThreatExchange pdq/README): Jarosz
// downsample to 64x64, quality from the gradients, a 16x16 block of the 2-D
// DCT (first 16 non-DC frequencies per axis), and bit k = i*16 + j set when
// coefficient (i, j) exceeds the median of the 256. The eight dihedral
// variants (hashes of the image rotated or mirrored) are optional: they cost
// three more filter passes (see pdq_hash.cc for why not sign tricks alone).
//
// Byte order: bit k lives in 16-bit word k/16, bit k%16; words are stored
// most significant first, word 15 to word 0, big-endian, so that the 32 bytes
// printed as hex give the reference's text form.
//
// Thread safety: pure function.
#ifndef HASHWATCH_SIGNALS_PDQ_HASH_H_
#define HASHWATCH_SIGNALS_PDQ_HASH_H_

#include <array>
#include <cstdint>
#include <opencv2/core.hpp>

namespace hashwatch::signals {

using PdqBits = std::array<uint8_t, 32>;

struct PdqResult {
  PdqBits hash{};
  int quality = 0;  // 0..100; < 50 is not trusted for matching
  // Indexed by hashwatch::Dihedral, [0] == hash; filled only when asked for.
  std::array<PdqBits, 8> dihedral{};
};

// `luma`: CV_32FC1, values 0..255. Images under 5 pixels on a side get an
// all-zero hash and quality 0, as in the reference.
PdqResult ComputePdq(const cv::Mat& luma, bool dihedral = false);

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_PDQ_HASH_H_
