#include "index/hamming_kernels.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace hashwatch {
namespace {

#define HASHWATCH_ALWAYS_INLINE inline __attribute__((always_inline))

// How many candidate rows ahead `verify` prefetches. A code miss costs
// ~100 ns and one verification ~5 ns, so ~16 misses are kept in flight; the
// line-fill buffers of one core hold 10-12 (Intel), more would only queue.
constexpr size_t kPrefetchRows = 16;

HASHWATCH_ALWAYS_INLINE void LoadWords(const uint8_t* p, uint64_t w[4]) {
  std::memcpy(w, p, 32);
}

// Bit-parallel popcount (Hacker's Delight, 5-2), for CPUs without POPCNT.
struct SwarPopcount {
  HASHWATCH_ALWAYS_INLINE int operator()(uint64_t x) const {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return static_cast<int>((x * 0x0101010101010101ULL) >> 56);
  }
};

// Compiles to the POPCNT instruction inside functions built with
// target("popcnt") (the body is inlined into them).
struct BuiltinPopcount {
  HASHWATCH_ALWAYS_INLINE int operator()(uint64_t x) const { return __builtin_popcountll(x); }
};

template <typename Popcount>
HASHWATCH_ALWAYS_INLINE int Distance(const uint64_t q[4], const uint8_t* code, Popcount popcount) {
  uint64_t c[4];
  LoadWords(code, c);
  return popcount(q[0] ^ c[0]) + popcount(q[1] ^ c[1]) + popcount(q[2] ^ c[2]) +
         popcount(q[3] ^ c[3]);
}

template <typename Popcount>
HASHWATCH_ALWAYS_INLINE void ScanBody(const uint8_t* query, const uint8_t* codes, size_t n,
                                      int max_distance, std::vector<RowDistance>* out) {
  uint64_t q[4];
  LoadWords(query, q);
  for (size_t i = 0; i < n; ++i) {
    const int d = Distance(q, codes + 32 * i, Popcount());
    if (d <= max_distance) {
      out->push_back({static_cast<uint32_t>(i), d});
    }
  }
}

template <typename Popcount>
HASHWATCH_ALWAYS_INLINE void VerifyBody(const uint8_t* query, const uint8_t* codes,
                                        const uint32_t* rows, size_t n_rows, int max_distance,
                                        std::vector<RowDistance>* out) {
  uint64_t q[4];
  LoadWords(query, q);
  const size_t warm = n_rows < kPrefetchRows ? n_rows : kPrefetchRows;
  for (size_t i = 0; i < warm; ++i) {
    __builtin_prefetch(codes + 32 * static_cast<size_t>(rows[i]));
  }
  for (size_t i = 0; i < n_rows; ++i) {
    if (i + kPrefetchRows < n_rows) {
      __builtin_prefetch(codes + 32 * static_cast<size_t>(rows[i + kPrefetchRows]));
    }
    const uint32_t row = rows[i];
    const int d = Distance(q, codes + 32 * static_cast<size_t>(row), Popcount());
    if (d <= max_distance) out->push_back({row, d});
  }
}

template <typename Popcount>
HASHWATCH_ALWAYS_INLINE void TwoNearestBody(const uint8_t* queries, size_t n_queries,
                                            const uint8_t* codes, size_t n, TwoNearest* out) {
  for (size_t j = 0; j < n_queries; ++j) {
    uint64_t q[4];
    LoadWords(queries + 32 * j, q);
    TwoNearest t{0, 257, 257};
    for (size_t i = 0; i < n; ++i) {
      const int d = Distance(q, codes + 32 * i, Popcount());
      if (d < t.best) {
        t.second = t.best;
        t.best = d;
        t.row = static_cast<uint32_t>(i);
      } else if (d < t.second) {
        t.second = d;
      }
    }
    out[j] = t;
  }
}

void TwoNearestPortable(const uint8_t* queries, size_t n_queries, const uint8_t* codes, size_t n,
                        TwoNearest* out) {
  TwoNearestBody<SwarPopcount>(queries, n_queries, codes, n, out);
}

void ScanPortable(const uint8_t* query, const uint8_t* codes, size_t n, int max_distance,
                  std::vector<RowDistance>* out) {
  ScanBody<SwarPopcount>(query, codes, n, max_distance, out);
}
void VerifyPortable(const uint8_t* query, const uint8_t* codes, const uint32_t* rows, size_t n_rows,
                    int max_distance, std::vector<RowDistance>* out) {
  VerifyBody<SwarPopcount>(query, codes, rows, n_rows, max_distance, out);
}

#if defined(__x86_64__) || defined(__i386__)
#define HASHWATCH_HAVE_POPCNT_KERNELS 1
__attribute__((target("popcnt"))) void ScanPopcnt(const uint8_t* query, const uint8_t* codes,
                                                  size_t n, int max_distance,
                                                  std::vector<RowDistance>* out) {
  ScanBody<BuiltinPopcount>(query, codes, n, max_distance, out);
}
__attribute__((target("popcnt"))) void VerifyPopcnt(const uint8_t* query, const uint8_t* codes,
                                                    const uint32_t* rows, size_t n_rows,
                                                    int max_distance,
                                                    std::vector<RowDistance>* out) {
  VerifyBody<BuiltinPopcount>(query, codes, rows, n_rows, max_distance, out);
}
__attribute__((target("popcnt"))) void TwoNearestPopcnt(const uint8_t* queries, size_t n_queries,
                                                        const uint8_t* codes, size_t n,
                                                        TwoNearest* out) {
  TwoNearestBody<BuiltinPopcount>(queries, n_queries, codes, n, out);
}
#endif

#if defined(__x86_64__)
#define HASHWATCH_HAVE_AVX512_KERNELS 1
// two_nearest eight codes at a time: the codes transposed so that one
// register holds the same 64-bit word of eight codes, each lane keeping its
// own nearest and next nearest (lane l sees rows l, l + 8, ...), the lanes
// merged at the end. Compute-bound in cache (a query's 1,600-6,400 ORB
// descriptors against a known image's 400), unlike scan and verify.
__attribute__((target("avx512f,avx512vpopcntdq"))) void TwoNearestAvx512(
    const uint8_t* queries, size_t n_queries, const uint8_t* codes, size_t n, TwoNearest* out) {
  const size_t blocks = (n + 7) / 8;
  // Block b holds word k of its codes at [32 * b + 8 * k + lane]; missing
  // codes of the last block are zeros, their lanes masked out below.
  std::vector<uint64_t> words(blocks * 32, 0);
  for (size_t i = 0; i < n; ++i) {
    uint64_t w[4];
    LoadWords(codes + 32 * i, w);
    for (size_t k = 0; k < 4; ++k) words[32 * (i / 8) + 8 * k + i % 8] = w[k];
  }
  const __mmask8 last_lanes = n % 8 == 0 ? 0xff : static_cast<__mmask8>((1u << (n % 8)) - 1);
  const __m512i far = _mm512_set1_epi64(257);
  const __m512i step = _mm512_set1_epi64(8);
  for (size_t j = 0; j < n_queries; ++j) {
    uint64_t q[4];
    LoadWords(queries + 32 * j, q);
    const __m512i q0 = _mm512_set1_epi64(static_cast<int64_t>(q[0]));
    const __m512i q1 = _mm512_set1_epi64(static_cast<int64_t>(q[1]));
    const __m512i q2 = _mm512_set1_epi64(static_cast<int64_t>(q[2]));
    const __m512i q3 = _mm512_set1_epi64(static_cast<int64_t>(q[3]));
    __m512i best = far, second = far, best_row = _mm512_setzero_si512();
    __m512i row = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    for (size_t b = 0; b < blocks; ++b) {
      const uint64_t* w = words.data() + 32 * b;
      __m512i d = _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(w), q0));
      d = _mm512_add_epi64(d, _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(w + 8), q1)));
      d = _mm512_add_epi64(d,
                           _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(w + 16), q2)));
      d = _mm512_add_epi64(d,
                           _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(w + 24), q3)));
      if (b + 1 == blocks) d = _mm512_mask_mov_epi64(far, last_lanes, d);
      const __mmask8 nearer = _mm512_cmplt_epu64_mask(d, best);
      // The masked forms with every lane set: GCC 12's unmasked min/max
      // read an "undefined" register that -Wmaybe-uninitialized flags.
      second = _mm512_mask_min_epu64(second, 0xff, second, _mm512_mask_max_epu64(d, 0xff, best, d));
      best = _mm512_mask_min_epu64(best, 0xff, best, d);
      best_row = _mm512_mask_mov_epi64(best_row, nearer, row);
      row = _mm512_add_epi64(row, step);
    }
    alignas(64) uint64_t lane_best[8], lane_second[8], lane_row[8];
    _mm512_store_si512(lane_best, best);
    _mm512_store_si512(lane_second, second);
    _mm512_store_si512(lane_row, best_row);
    // Merged as the scalar loop would have met them: the smaller distance,
    // and of equal distances the smaller row.
    TwoNearest t{0, 257, 257};
    for (int l = 0; l < 8; ++l) {
      const auto b = static_cast<int32_t>(lane_best[l]);
      const auto s = static_cast<int32_t>(lane_second[l]);
      const auto r = static_cast<uint32_t>(lane_row[l]);
      if (b < t.best || (b == t.best && b < 257 && r < t.row)) {
        t.second = std::min({t.second, t.best, s});
        t.best = b;
        t.row = r;
      } else {
        t.second = std::min({t.second, b, s});
      }
    }
    out[j] = t;
  }
}
#endif

}  // namespace

const HammingKernels& PortableHammingKernels() {
  static const HammingKernels kernels{"portable", &ScanPortable, &VerifyPortable,
                                      &TwoNearestPortable};
  return kernels;
}

const HammingKernels* PopcntHammingKernels() {
#ifdef HASHWATCH_HAVE_POPCNT_KERNELS
  static const HammingKernels* const kernels = []() -> const HammingKernels* {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("popcnt")) return nullptr;
    static const HammingKernels k{"popcnt", &ScanPopcnt, &VerifyPopcnt, &TwoNearestPopcnt};
    return &k;
  }();
  return kernels;
#else
  return nullptr;
#endif
}

const HammingKernels* Avx512HammingKernels() {
#if defined(HASHWATCH_HAVE_AVX512_KERNELS) && defined(HASHWATCH_HAVE_POPCNT_KERNELS)
  static const HammingKernels* const kernels = []() -> const HammingKernels* {
    const HammingKernels* popcnt = PopcntHammingKernels();
    if (popcnt == nullptr || !__builtin_cpu_supports("avx512f") ||
        !__builtin_cpu_supports("avx512vpopcntdq")) {
      return nullptr;
    }
    static const HammingKernels k{"avx512", popcnt->scan, popcnt->verify, &TwoNearestAvx512};
    return &k;
  }();
  return kernels;
#else
  return nullptr;
#endif
}

const HammingKernels& BestHammingKernels() {
  static const HammingKernels& best = Avx512HammingKernels() != nullptr ? *Avx512HammingKernels()
                                      : PopcntHammingKernels() != nullptr
                                          ? *PopcntHammingKernels()
                                          : PortableHammingKernels();
  return best;
}

int HammingDistance256(const uint8_t* a, const uint8_t* b) {
  uint64_t q[4];
  LoadWords(a, q);
  return Distance(q, b, SwarPopcount());
}

}  // namespace hashwatch
