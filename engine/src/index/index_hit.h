// One result of a PDQ index search, and the constants every PDQ index shares.
//
// Plain data; safe to copy and read from many threads. Functions are pure.
#ifndef HASHWATCH_INDEX_INDEX_HIT_H_
#define HASHWATCH_INDEX_INDEX_HIT_H_

#include <cstddef>
#include <cstdint>
#include <tuple>
#include <vector>

namespace hashwatch {

// A PDQ hash is 256 bits, stored as 32 bytes in the order of its hex string
// (design.md section 4, fact 6). Hamming distance does not depend on the order.
inline constexpr size_t kPdqCodeBytes = 32;
inline constexpr int kPdqCodeBits = 256;

// The common PDQ match threshold (design.md section 4, fact 8: distance <= 31
// of 256, as StopNCII and HMA use). The multi-index structures are sized for
// radii up to this; larger radii are still exact but use a flat scan.
inline constexpr int kPdqMatchRadius = 31;

// An id stored in an index and its Hamming distance to the query.
struct IndexHit {
  int64_t id = 0;
  int distance = 0;

  friend bool operator==(const IndexHit& a, const IndexHit& b) {
    return a.id == b.id && a.distance == b.distance;
  }
};

// The order every search returns: nearest first, ties by ascending id.
inline bool IndexHitLess(const IndexHit& a, const IndexHit& b) {
  return std::tie(a.distance, a.id) < std::tie(b.distance, b.id);
}

// Puts hits that may repeat an id (several codes per id, or a code found
// twice) into the form every search returns: one hit per id, at its smallest
// distance, ordered by IndexHitLess.
void CanonicalizeHits(std::vector<IndexHit>* hits);

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_INDEX_HIT_H_
