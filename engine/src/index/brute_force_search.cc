#include "index/brute_force_search.h"

#include <algorithm>

#include "index/hamming_kernels.h"

namespace hashwatch {

std::vector<IndexHit> BruteForceRangeSearch(absl::Span<const int64_t> ids,
                                            absl::Span<const uint8_t> codes, const uint8_t* query,
                                            int max_distance) {
  std::vector<IndexHit> hits;
  if (max_distance < 0) return hits;
  // Rows are uint32; scan in chunks so any number of codes works.
  constexpr size_t kChunk = size_t{1} << 30;
  std::vector<RowDistance> found;
  for (size_t begin = 0; begin < ids.size(); begin += kChunk) {
    const size_t n = std::min(kChunk, ids.size() - begin);
    found.clear();
    BestHammingKernels().scan(query, codes.data() + kPdqCodeBytes * begin, n, max_distance, &found);
    for (const RowDistance& f : found) {
      hits.push_back({ids[begin + f.row], f.distance});
    }
  }
  CanonicalizeHits(&hits);
  return hits;
}

}  // namespace hashwatch
