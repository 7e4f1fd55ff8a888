#include "index/index_binary_pdq.h"

#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissAssert.h>
#include <faiss/impl/IDSelector.h>

#include <cstdint>
#include <limits>
#include <vector>

namespace hashwatch {
namespace {

// Largest IDSelectorRange remove_ids enumerates (16M ids, ~0.1 s of Remove).
constexpr faiss::IndexBinary::idx_t kMaxRangeIds = faiss::IndexBinary::idx_t{1} << 24;

}  // namespace

IndexBinaryPdq::IndexBinaryPdq(PdqIndexOptions options)
    : faiss::IndexBinary(kPdqCodeBits),
      options_(options),
      index_(std::make_unique<PdqIndex>(options)) {}

IndexBinaryPdq::~IndexBinaryPdq() = default;

void IndexBinaryPdq::add(idx_t n, const uint8_t* x) {
  const idx_t first = next_label_.fetch_add(n);
  std::vector<idx_t> ids(n);
  for (idx_t i = 0; i < n; ++i) ids[i] = first + i;
  add_with_ids(n, x, ids.data());
}

void IndexBinaryPdq::add_with_ids(idx_t n, const uint8_t* x, const idx_t* xids) {
  FAISS_THROW_IF_NOT(n >= 0);
  static_assert(sizeof(idx_t) == sizeof(int64_t));
  const absl::Status s = index_->Add(
      absl::MakeConstSpan(reinterpret_cast<const int64_t*>(xids), static_cast<size_t>(n)),
      absl::MakeConstSpan(x, kPdqCodeBytes * n));
  if (!s.ok()) FAISS_THROW_MSG(s.ToString());
  ntotal = static_cast<idx_t>(index_->size());
}

void IndexBinaryPdq::search(idx_t n, const uint8_t* x, idx_t k, int32_t* distances, idx_t* labels,
                            const faiss::SearchParameters* /*params*/) const {
  FAISS_THROW_IF_NOT(k > 0);
  for (idx_t q = 0; q < n; ++q) {
    const std::vector<IndexHit> hits = index_->RangeSearch(x + kPdqCodeBytes * q, knn_max_distance);
    for (idx_t j = 0; j < k; ++j) {
      const bool have = j < static_cast<idx_t>(hits.size());
      labels[q * k + j] = have ? hits[j].id : -1;
      distances[q * k + j] = have ? hits[j].distance : std::numeric_limits<int32_t>::max();
    }
  }
}

void IndexBinaryPdq::range_search(idx_t n, const uint8_t* x, int radius,
                                  faiss::RangeSearchResult* result,
                                  const faiss::SearchParameters* /*params*/) const {
  std::vector<std::vector<IndexHit>> hits(n);
  for (idx_t q = 0; q < n; ++q) {
    hits[q] = index_->RangeSearch(x + kPdqCodeBytes * q, radius - 1);
    result->lims[q] = hits[q].size();  // do_allocation turns counts to offsets
  }
  result->do_allocation();
  for (idx_t q = 0; q < n; ++q) {
    size_t out = result->lims[q];
    for (const IndexHit& h : hits[q]) {
      result->labels[out] = h.id;
      result->distances[out] = static_cast<float>(h.distance);
      ++out;
    }
  }
}

void IndexBinaryPdq::reset() {
  index_ = std::make_unique<PdqIndex>(options_);
  ntotal = 0;
  next_label_ = 0;
}

size_t IndexBinaryPdq::remove_ids(const faiss::IDSelector& sel) {
  std::vector<int64_t> ids;
  if (const auto* a = dynamic_cast<const faiss::IDSelectorArray*>(&sel)) {
    ids.assign(a->ids, a->ids + a->n);
  } else if (const auto* b = dynamic_cast<const faiss::IDSelectorBatch*>(&sel)) {
    ids.assign(b->set.begin(), b->set.end());
  } else if (const auto* m = dynamic_cast<const faiss::IDSelectorBitmap*>(&sel)) {
    for (size_t i = 0; i < m->n * 8; ++i) {
      if ((m->bitmap[i / 8] >> (i % 8)) & 1) ids.push_back(i);
    }
  } else if (const auto* r = dynamic_cast<const faiss::IDSelectorRange*>(&sel)) {
    FAISS_THROW_IF_NOT_MSG(r->imax - r->imin <= kMaxRangeIds,
                           "IndexBinaryPdq: IDSelectorRange over 2^24 ids");
    for (idx_t id = r->imin; id < r->imax; ++id) ids.push_back(id);
  } else {
    FAISS_THROW_MSG("IndexBinaryPdq::remove_ids: unsupported IDSelector");
  }
  const size_t removed = index_->Remove(ids);
  ntotal = static_cast<idx_t>(index_->size());
  return removed;
}

}  // namespace hashwatch
