#include "index/hamming_kernels.h"

#include <cstring>

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

const HammingKernels& BestHammingKernels() {
  static const HammingKernels& best =
      PopcntHammingKernels() != nullptr ? *PopcntHammingKernels() : PortableHammingKernels();
  return best;
}

int HammingDistance256(const uint8_t* a, const uint8_t* b) {
  uint64_t q[4];
  LoadWords(a, q);
  return Distance(q, b, SwarPopcount());
}

}  // namespace hashwatch
