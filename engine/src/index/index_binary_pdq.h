// IndexBinaryPdq: a PdqIndex behind FAISS's faiss::IndexBinary interface, so
// FAISS's conventions apply (add/search/range_search/
// remove_ids, RangeSearchResult) while the searching is PdqIndex's exact
// multi-index hashing. Engine code should use PdqIndex directly; this exists
// for code written against FAISS. It never appears in the public API.
// (FAISS's write_index/read_index do not know this class.)
//
// Differences from FAISS's own binary indexes, by design:
// - d is always 256 (PDQ).
// - search() (k-NN) returns the k nearest codes within knn_max_distance
//   (default 31, PDQ's match threshold; set 256 for unrestricted k-NN at the
//   cost of a flat scan); missing slots get label -1 and distance INT32_MAX.
// - It stores ids itself (add_with_ids), so IndexBinaryIDMap is not needed.
//   Under an IndexBinaryIDMap, add and search work, but the map's
//   remove_ids throws: it assumes the inner index renumbers codes on
//   removal (as IndexBinaryFlat does), which this index never does.
// - remove_ids() accepts IDSelectorArray, IDSelectorBatch, IDSelectorBitmap
//   and IDSelectorRange (ids are enumerated; a range is limited to 2^24 ids);
//   other selectors throw faiss::FaissException and remove nothing.
// - Queries run one after another on the calling thread (no OpenMP), so the
//   caller owns the threads: call search from several threads instead.
//
// Thread safety: const methods may run from many threads at once, also
// concurrently with add, add_with_ids and remove_ids (PdqIndex serialises
// writers). reset() must not run concurrently with anything.
#ifndef HASHWATCH_INDEX_INDEX_BINARY_PDQ_H_
#define HASHWATCH_INDEX_INDEX_BINARY_PDQ_H_

#include <faiss/IndexBinary.h>

#include <atomic>
#include <memory>

#include "index/index_hit.h"
#include "index/pdq_index.h"

namespace hashwatch {

class IndexBinaryPdq : public faiss::IndexBinary {
 public:
  explicit IndexBinaryPdq(PdqIndexOptions options = {});
  ~IndexBinaryPdq() override;

  // Labels ntotal, ntotal + 1, ... in the FAISS way (sequential).
  void add(idx_t n, const uint8_t* x) override;
  void add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) override;
  void search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override;
  // FAISS convention: distances strictly below `radius` (pass 32 for PDQ's
  // "<= 31"). Results per query are nearest first.
  void range_search(idx_t n, const uint8_t* x, int radius, faiss::RangeSearchResult* result,
                    const faiss::SearchParameters* params = nullptr) const override;
  void reset() override;
  size_t remove_ids(const faiss::IDSelector& sel) override;

  PdqIndex& pdq_index() { return *index_; }

  int knn_max_distance = kPdqMatchRadius;

 private:
  const PdqIndexOptions options_;
  std::unique_ptr<PdqIndex> index_;
  std::atomic<idx_t> next_label_{0};
};

}  // namespace hashwatch

#endif  // HASHWATCH_INDEX_INDEX_BINARY_PDQ_H_
