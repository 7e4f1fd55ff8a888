// Random 32-byte PDQ codes with controlled Hamming distances, for the index
// tests. Deterministic for a given seed.
#ifndef HASHWATCH_TESTS_INDEX_PDQ_TEST_CODES_H_
#define HASHWATCH_TESTS_INDEX_PDQ_TEST_CODES_H_

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <vector>

namespace hashwatch::testing {

using Code = std::array<uint8_t, 32>;

inline Code RandomCode(std::mt19937_64& rng) {
  Code c;
  for (uint8_t& b : c) b = static_cast<uint8_t>(rng());
  return c;
}

// `code` with exactly `flips` distinct bits (chosen at random) inverted.
inline Code FlipBits(const Code& code, int flips, std::mt19937_64& rng) {
  std::vector<int> bits(256);
  for (int i = 0; i < 256; ++i) bits[i] = i;
  std::shuffle(bits.begin(), bits.end(), rng);
  Code out = code;
  for (int i = 0; i < flips; ++i) {
    out[bits[i] / 8] ^= static_cast<uint8_t>(1u << (bits[i] % 8));
  }
  return out;
}

// Bit-by-bit distance: the slowest, most obviously right reference.
inline int NaiveDistance(const uint8_t* a, const uint8_t* b) {
  int d = 0;
  for (int i = 0; i < 256; ++i) {
    d += ((a[i / 8] ^ b[i / 8]) >> (i % 8)) & 1;
  }
  return d;
}

// Codes as one flat byte vector (32 bytes per code).
inline std::vector<uint8_t> Flatten(const std::vector<Code>& codes) {
  std::vector<uint8_t> flat;
  for (const Code& c : codes) flat.insert(flat.end(), c.begin(), c.end());
  return flat;
}

// A data set of `n` codes: random bases, each with neighbours at every
// distance in [0, 40] from it (so that distances 31 and 32 occur), plus the
// queries (the bases, perturbed by 0..3 bits, and fresh random codes).
struct TestData {
  std::vector<int64_t> ids;
  std::vector<Code> codes;
  std::vector<Code> queries;
};

inline TestData MakeTestData(size_t n, size_t queries, uint64_t seed) {
  std::mt19937_64 rng(seed);
  TestData data;
  std::vector<Code> bases;
  while (data.codes.size() < n) {
    const Code base = RandomCode(rng);
    bases.push_back(base);
    for (int d = 0; d <= 40 && data.codes.size() < n; ++d) {
      data.codes.push_back(FlipBits(base, d, rng));
    }
  }
  if (bases.empty()) bases.push_back(RandomCode(rng));
  for (size_t i = 0; i < n; ++i) {
    data.ids.push_back(static_cast<int64_t>(rng() >> 2) - (int64_t{1} << 60));
  }
  for (size_t q = 0; q < queries; ++q) {
    data.queries.push_back(q % 4 == 3
                               ? RandomCode(rng)
                               : FlipBits(bases[q % bases.size()], static_cast<int>(q % 4), rng));
  }
  return data;
}

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_INDEX_PDQ_TEST_CODES_H_
