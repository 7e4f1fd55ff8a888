// Tuning of a PdqIndex. The defaults are what docs/benchmarks.md ("PDQ index
// search") measured on the 2-core reference machine; callers rarely change
// them except to force a structure in tests and benchmarks.
#ifndef HASHWATCH_INDEX_PDQ_INDEX_OPTIONS_H_
#define HASHWATCH_INDEX_PDQ_INDEX_OPTIONS_H_

#include <cstddef>

namespace hashwatch {

struct PdqIndexOptions {
  // The main structure gets multi-index hash tables from this many codes on;
  // below it a flat popcount scan is as fast and needs no extra memory.
  // Crossover measured with `hashwatch-bench search` at radius 31: see
  // kDefaultMultiIndexMinSize in pdq_segment.h.
  size_t multi_index_min_size = 0;  // 0: the measured default
  // Substrings of multi-index hashing; 0 picks by MultiIndexPlan::ForSize.
  int substrings = 0;
  // Additions are first appended to a small buffer that every search scans
  // linearly; when it is full it is merged into the main structure (a
  // rebuild, O(n)). 0: main size / 1024 within [4096, 65536] (pdq_index.cc
  // has the numbers).
  size_t delta_capacity = 0;
  // Threads a merge may use (its own, joined before the call returns);
  // 0 means std::thread::hardware_concurrency().
  int build_threads = 0;
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_PDQ_INDEX_OPTIONS_H_
