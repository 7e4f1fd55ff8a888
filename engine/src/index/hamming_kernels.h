// Hamming-distance loops over 256-bit codes: the verification step of every
// PDQ index (flat scans and the candidates of multi-index hashing), and the
// nearest-neighbour matching of ORB descriptors (also 256 bits) when local
// features verify a candidate (match/local_verifier.h).
//
// Implementations with the same results: a portable one (SWAR popcount,
// any x86-64 or other CPU) and one compiled for the POPCNT instruction, used
// only when the running CPU has it (checked once with __builtin_cpu_supports).
// Debian's FAISS 1.7.3 is built for generic x86-64 without POPCNT, which is why
// these exist (design.md section 4: popcnt made a 256-bit loop 7x faster).
// No AVX2 variant of scan and verify: verifying multi-index candidates is
// bound by cache misses (one random 32-byte code each) and scanning millions
// of codes by memory bandwidth; in cache, POPCNT already takes ~1.3 ns per
// code. two_nearest is different: thousands of ORB descriptors against
// hundreds, all in cache, compute-bound; a third set runs it eight codes at
// a time with AVX-512's VPOPCNTQ where the CPU has it (scan and verify as
// the POPCNT set).
//
// Thread safety: all functions are pure; call them from any number of threads.
#ifndef HASHWATCH_INDEX_HAMMING_KERNELS_H_
#define HASHWATCH_INDEX_HAMMING_KERNELS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashwatch {

// A row of a code array and its distance to a query.
struct RowDistance {
  uint32_t row;
  int32_t distance;
};

// A code's two nearest among an array of codes: the row of the nearest, its
// distance, and the distance of the next nearest (another row). With fewer
// than two codes the missing distances are 257 (farther than any).
struct TwoNearest {
  uint32_t row;
  int32_t best;
  int32_t second;
};

struct HammingKernels {
  const char* name;
  // Appends {i, d} for every i in [0, n) with d = distance(query, codes + 32*i)
  // <= max_distance, in ascending i. `codes` holds n codes of 32 bytes.
  void (*scan)(const uint8_t* query, const uint8_t* codes, size_t n, int max_distance,
               std::vector<RowDistance>* out);
  // The same for the listed rows only (in the given order, duplicates kept).
  // Prefetches codes a few rows ahead: the rows are random accesses.
  void (*verify)(const uint8_t* query, const uint8_t* codes, const uint32_t* rows, size_t n_rows,
                 int max_distance, std::vector<RowDistance>* out);
  // out[j] = the two nearest of the n `codes` to query code j, for j in
  // [0, n_queries). `queries` holds n_queries codes of 32 bytes. Of rows at
  // equal distance the first is taken.
  void (*two_nearest)(const uint8_t* queries, size_t n_queries, const uint8_t* codes, size_t n,
                      TwoNearest* out);
};

// Always available.
const HammingKernels& PortableHammingKernels();
// The POPCNT build, or nullptr when the running CPU lacks POPCNT.
const HammingKernels* PopcntHammingKernels();
// The POPCNT set with an AVX-512 (F + VPOPCNTDQ) two_nearest, or nullptr when
// the running CPU lacks either.
const HammingKernels* Avx512HammingKernels();
// The fastest kernels the running CPU supports.
const HammingKernels& BestHammingKernels();

// Distance between two 32-byte codes (portable; for tests and one-off uses).
int HammingDistance256(const uint8_t* a, const uint8_t* b);

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_HAMMING_KERNELS_H_
