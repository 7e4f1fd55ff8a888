#include "index/index_hit.h"

#include <algorithm>

namespace hashwatch {

void CanonicalizeHits(std::vector<IndexHit>* hits) {
  // By id then distance, keep the first of each id, then the result order.
  std::sort(hits->begin(), hits->end(), [](const IndexHit& a, const IndexHit& b) {
    return std::tie(a.id, a.distance) < std::tie(b.id, b.distance);
  });
  hits->erase(std::unique(hits->begin(), hits->end(),
                          [](const IndexHit& a, const IndexHit& b) { return a.id == b.id; }),
              hits->end());
  std::sort(hits->begin(), hits->end(), IndexHitLess);
}

}  // namespace hashwatch
