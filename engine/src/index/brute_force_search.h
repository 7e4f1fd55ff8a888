// Exact radius search by scanning every code: the oracle of the index tests
// and the baseline of `hashwatch-bench search`.
//
// Thread safety: a pure function; call it from any number of threads.
#ifndef HASHWATCH_INDEX_BRUTE_FORCE_SEARCH_H_
#define HASHWATCH_INDEX_BRUTE_FORCE_SEARCH_H_

#include <cstdint>
#include <vector>

#include "absl/types/span.h"
#include "index/index_hit.h"

namespace hashwatch {

// All ids whose code is within max_distance (inclusive) of the 32-byte
// `query`: one hit per id at its smallest distance, nearest first, ties by
// ascending id. `codes` holds 32 bytes per id, in the order of `ids`.
// Requires codes.size() == 32 * ids.size(). Empty for max_distance < 0.
std::vector<IndexHit> BruteForceRangeSearch(absl::Span<const int64_t> ids,
                                            absl::Span<const uint8_t> codes, const uint8_t* query,
                                            int max_distance);

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_BRUTE_FORCE_SEARCH_H_
