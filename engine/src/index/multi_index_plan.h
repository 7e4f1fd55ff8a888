// How multi-index hashing (MIH) cuts a 256-bit PDQ code into substrings, and
// which Hamming radius each substring is probed with for an exact search.
//
// Norouzi, Punjani, Fleet, "Fast Search in Hamming Space with Multi-Index
// Hashing", CVPR 2012: cut codes into m disjoint substrings and index each in
// its own table. Generalized pigeonhole: if d(q, x) <= r and the per-substring
// thresholds t_i satisfy sum_i (t_i + 1) >= r + 1, then some substring i has
// d_i(q, x) <= t_i (otherwise d = sum_i d_i >= sum_i (t_i + 1) > r). Probing
// every key within t_i of the query's substring i in table i (t_i = -1: skip
// the table) therefore finds every x within r: exact, no recall loss.
//
// The cost of one query is roughly
//   probes     = sum_i C(b_i, <= t_i)             (keys looked up)
//   candidates = n * sum_i C(b_i, <= t_i) / 2^b_i (codes verified, uniform bits)
// and each is about one cache miss. MultiIndexPlan::ForSize picks m for n by
// that model; docs/benchmarks.md ("PDQ index search") has the table of
// numbers behind the choice and the measurements: at 10M codes the model's
// m = 11 measured best (8.4k queries/s vs 5.8k for m = 10, 6.1k for m = 12);
// at 1M its m = 12 is within 12% of the best measured (m = 14), because
// small directories stay in cache and make probes cheaper than modelled.
//
// Thread safety: immutable after construction; safe from many threads.
#ifndef HASHWATCH_INDEX_MULTI_INDEX_PLAN_H_
#define HASHWATCH_INDEX_MULTI_INDEX_PLAN_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hashwatch {

class MultiIndexPlan {
 public:
  // Smallest and largest substring counts: substrings hold 8..32 bits, so a
  // key fits in a uint32_t.
  static constexpr int kMinSubstrings = 8;
  static constexpr int kMaxSubstrings = 32;

  // Contiguous substrings of floor(256/m) or ceil(256/m) bits (the longer
  // ones first). Requires kMinSubstrings <= m <= kMaxSubstrings.
  static MultiIndexPlan WithSubstrings(int m);
  // The m in [8, 16] with the lowest estimated cost at radius 31 for n codes.
  static MultiIndexPlan ForSize(size_t n);

  int substrings() const { return static_cast<int>(bits_.size()); }
  int bits(int i) const { return bits_[i]; }
  int offset(int i) const { return offsets_[i]; }

  // Substring i of a 32-byte code: bits [offset, offset + bits) where bit k is
  // bit k % 8 (LSB first) of byte k / 8.
  uint32_t Extract(const uint8_t* code, int i) const;

  // Per-substring thresholds for an exact search at `radius` (>= 0) over n
  // codes: sum_i (t_i + 1) == radius + 1, t_i >= -1, chosen greedily by the
  // marginal cost above (optimal, since each table's cost is convex in t_i).
  std::vector<int> Thresholds(int radius, size_t n) const;

  struct Estimate {
    double probes = 0;      // keys looked up per query
    double candidates = 0;  // codes verified per query, for uniform bits
  };
  Estimate EstimateCost(int radius, size_t n) const;

 private:
  std::vector<int> bits_;
  std::vector<int> offsets_;
};

// Number of keys of `bits` bits within Hamming distance t of a key:
// sum_{k=0..t} C(bits, k); 0 for t < 0.
double BallSize(int bits, int t);

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_MULTI_INDEX_PLAN_H_
