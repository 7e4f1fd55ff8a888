#include "index/float_index.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/InvertedLists.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <new>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace hashwatch::index {
namespace {

using idx_t = faiss::Index::idx_t;
static_assert(sizeof(idx_t) == sizeof(int64_t));

// Sets OpenMP's thread count for parallel regions started by the calling
// thread (nthreads-var is a per-thread setting in OpenMP), and restores it.
class OmpThreadsForThisThread {
 public:
  explicit OmpThreadsForThisThread(int threads) : previous_(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~OmpThreadsForThisThread() { omp_set_num_threads(previous_); }
  OmpThreadsForThisThread(const OmpThreadsForThisThread&) = delete;
  OmpThreadsForThisThread& operator=(const OmpThreadsForThisThread&) = delete;

 private:
  const int previous_;
};

// Runs fn, turning what FAISS (or the allocator) throws into a Status.
template <typename Fn>
absl::Status CatchFaiss(const char* what, Fn&& fn) {
  try {
    return fn();
  } catch (const faiss::FaissException& e) {
    return absl::InternalError(absl::StrCat("FloatIndex ", what, ": FAISS: ", e.what()));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("FloatIndex ", what, ": out of memory"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("FloatIndex ", what, ": ", e.what()));
  }
}

// A power of two near sqrt(n) (the usual IVF rule: lists of ~sqrt(n)
// vectors), with at least 39 training points per list (FAISS's minimum).
int AutoIvfLists(size_t n) {
  const double root = std::sqrt(static_cast<double>(n));
  int lists = 16;
  while (lists < 65536 && lists * 1.5 < root) lists *= 2;
  while (lists > 16 && static_cast<size_t>(lists) * 39 > n) lists /= 2;
  return lists;
}

// A batch searched list by list: the queries that probe a list are scored
// against all its vectors with one matrix product (OpenBLAS, through
// faiss::knn_inner_product) instead of FAISS's per-vector scan, which this
// Debian build compiles for generic x86-64 (no AVX). Same candidates and
// scores as IndexIVF::search with this nprobe (up to float rounding); pays
// off when many queries share each list (see UseBatchByList). Quantised
// lists are decoded once per batch. Writes k results per query, best
// first, label -1 where there are fewer.
void SearchIvfByList(const faiss::IndexIVF& ivf, size_t n, const float* x, size_t k, size_t nprobe,
                     float* scores, idx_t* labels) {
  using Heap = faiss::CMin<float, idx_t>;
  const size_t d = ivf.d;
  std::vector<float> coarse_scores(n * nprobe);
  std::vector<idx_t> coarse(n * nprobe);
  ivf.quantizer->search(static_cast<idx_t>(n), x, static_cast<idx_t>(nprobe), coarse_scores.data(),
                        coarse.data());
  // Queries of each list, as offsets into `members` (CSR).
  std::vector<size_t> first(ivf.nlist + 1, 0);
  for (idx_t l : coarse) {
    if (l >= 0) ++first[l + 1];
  }
  for (size_t l = 0; l < ivf.nlist; ++l) first[l + 1] += first[l];
  std::vector<uint32_t> members(first[ivf.nlist]);
  std::vector<size_t> cursor(first.begin(), first.end() - 1);
  for (size_t i = 0; i < coarse.size(); ++i) {
    if (coarse[i] >= 0) members[cursor[coarse[i]]++] = static_cast<uint32_t>(i / nprobe);
  }
  for (size_t q = 0; q < n; ++q) faiss::heap_heapify<Heap>(k, scores + q * k, labels + q * k);

  const bool flat = dynamic_cast<const faiss::IndexIVFFlat*>(&ivf) != nullptr;
  std::vector<float> list_queries, decoded, top_scores;
  std::vector<int64_t> top_rows;
  for (size_t l = 0; l < ivf.nlist; ++l) {
    const size_t m = first[l + 1] - first[l];
    const size_t size = ivf.invlists->list_size(l);
    if (m == 0 || size == 0) continue;
    faiss::InvertedLists::ScopedCodes codes(ivf.invlists, l);
    faiss::InvertedLists::ScopedIds ids(ivf.invlists, l);
    const float* vectors = reinterpret_cast<const float*>(codes.get());
    if (!flat) {
      decoded.resize(size * d);
      for (size_t j = 0; j < size; ++j) {
        ivf.reconstruct_from_offset(static_cast<int64_t>(l), static_cast<int64_t>(j),
                                    &decoded[j * d]);
      }
      vectors = decoded.data();
    }
    list_queries.resize(m * d);
    for (size_t i = 0; i < m; ++i) {
      std::copy_n(x + members[first[l] + i] * d, d, &list_queries[i * d]);
    }
    const size_t kl = std::min(k, size);
    top_scores.resize(m * kl);
    top_rows.resize(m * kl);
    faiss::knn_inner_product(list_queries.data(), vectors, d, m, size, kl, top_scores.data(),
                             top_rows.data());
    for (size_t i = 0; i < m; ++i) {
      const size_t q = members[first[l] + i];
      for (size_t j = 0; j < kl; ++j) {
        const int64_t row = top_rows[i * kl + j];
        if (row < 0 || top_scores[i * kl + j] <= scores[q * k]) break;  // sorted: no better
        faiss::heap_replace_top<Heap>(k, scores + q * k, labels + q * k, top_scores[i * kl + j],
                                      ids.get()[row]);
      }
    }
  }
  for (size_t q = 0; q < n; ++q) faiss::heap_reorder<Heap>(k, scores + q * k, labels + q * k);
}

bool IsIvf(FloatIndexKind kind) {
  return kind != FloatIndexKind::kHnswFlat;
}

const char* KindName(FloatIndexKind kind) {
  switch (kind) {
    case FloatIndexKind::kIvfFlat: return "flat";
    case FloatIndexKind::kIvfSq8: return "sq8";
    case FloatIndexKind::kIvfFp16: return "fp16";
    case FloatIndexKind::kHnswFlat: return "hnsw";
  }
  return "?";
}

}  // namespace

FloatIndex::FloatIndex(const FloatIndexOptions& options) : options_(options) {}

FloatIndex::~FloatIndex() = default;

absl::StatusOr<std::unique_ptr<FloatIndex>> FloatIndex::Create(const FloatIndexOptions& options) {
  if (options.dimension <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("FloatIndex: dimension must be > 0, got ", options.dimension));
  }
  if (options.search_threads < 1 || options.search_effort < 1) {
    return absl::InvalidArgumentError("FloatIndex: search_threads and search_effort must be >= 1");
  }
  if (options.ivf_lists < 0 || options.ivf_train_iterations < 1 ||
      options.ivf_train_points_per_list < 39 || options.hnsw_m < 2 ||
      options.hnsw_ef_construction < 1) {
    return absl::InvalidArgumentError("FloatIndex: invalid IVF/HNSW build options");
  }
  std::unique_ptr<FloatIndex> index(new FloatIndex(options));
  absl::Status s = CatchFaiss("Create", [&] {
    index->index_ = std::make_unique<faiss::IndexIDMap>(new faiss::IndexFlatIP(options.dimension));
    static_cast<faiss::IndexIDMap*>(index->index_.get())->own_fields = true;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return index;
}

absl::Status FloatIndex::Add(absl::Span<const int64_t> ids, absl::Span<const float> vectors) {
  const size_t d = static_cast<size_t>(options_.dimension);
  if (vectors.size() != d * ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat("FloatIndex::Add: ", vectors.size(),
                                                   " floats for ", ids.size(), " ids of dimension ",
                                                   d, " (expected ", d * ids.size(), ")"));
  }
  if (ids.empty()) return absl::OkStatus();
  absl::flat_hash_set<int64_t> batch;
  batch.reserve(ids.size());
  for (int64_t id : ids) {
    if (id == -1) return absl::InvalidArgumentError("FloatIndex::Add: id -1 is reserved");
    if (row_of_id_.contains(id) || !batch.insert(id).second) {
      return absl::AlreadyExistsError(absl::StrCat("FloatIndex::Add: id ", id, " is already live"));
    }
  }
  return CatchFaiss("Add", [&] { return AddUnchecked(ids, vectors); });
}

absl::Status FloatIndex::AddUnchecked(absl::Span<const int64_t> ids,
                                      absl::Span<const float> vectors) {
  OmpThreadsForThisThread threads(options_.build_threads);
  const idx_t n = static_cast<idx_t>(ids.size());
  const auto* xids = reinterpret_cast<const idx_t*>(ids.data());
  if (!approximate_ && size() + ids.size() >= options_.exact_limit) {
    // Cross over: train the approximate index on everything held plus the
    // new vectors. The flat index is dropped only once that succeeded.
    absl::Status s;
    if (size() == 0) {
      s = BuildApproximate(ids, vectors);
    } else {
      auto* map = static_cast<faiss::IndexIDMap*>(index_.get());
      const auto* flat = static_cast<const faiss::IndexFlat*>(map->index);
      std::vector<int64_t> all_ids(map->id_map.begin(), map->id_map.end());
      all_ids.insert(all_ids.end(), ids.begin(), ids.end());
      std::vector<float> all(flat->get_xb(), flat->get_xb() + flat->ntotal * options_.dimension);
      all.insert(all.end(), vectors.begin(), vectors.end());
      s = BuildApproximate(all_ids, all);
    }
    return s;  // BuildApproximate set the id table
  } else if (!approximate_ || IsIvf(options_.kind)) {
    // IndexIDMap(flat) and IndexIVF both store the caller's ids.
    index_->add_with_ids(n, vectors.data(), xids);
  } else {
    const int64_t first_row = static_cast<int64_t>(id_of_row_.size());
    index_->add(n, vectors.data());
    for (idx_t i = 0; i < n; ++i) {
      id_of_row_.push_back(ids[i]);
      row_of_id_[ids[i]] = first_row + i;
    }
    return absl::OkStatus();
  }
  for (int64_t id : ids) row_of_id_[id] = 0;
  return absl::OkStatus();
}

absl::Status FloatIndex::BuildApproximate(absl::Span<const int64_t> ids,
                                          absl::Span<const float> vectors) {
  const int d = options_.dimension;
  const idx_t n = static_cast<idx_t>(ids.size());
  std::unique_ptr<faiss::Index> index;
  int lists = 0;
  std::vector<int64_t> id_of_row;
  if (IsIvf(options_.kind)) {
    lists = options_.ivf_lists > 0 ? options_.ivf_lists : AutoIvfLists(ids.size());
    auto quantizer = std::make_unique<faiss::IndexFlatIP>(d);
    std::unique_ptr<faiss::IndexIVF> ivf;
    switch (options_.kind) {
      case FloatIndexKind::kIvfSq8:
        ivf = std::make_unique<faiss::IndexIVFScalarQuantizer>(
            quantizer.get(), d, lists, faiss::ScalarQuantizer::QT_8bit, faiss::METRIC_INNER_PRODUCT,
            /*encode_residual=*/true);
        break;
      case FloatIndexKind::kIvfFp16:
        ivf = std::make_unique<faiss::IndexIVFScalarQuantizer>(
            quantizer.get(), d, lists, faiss::ScalarQuantizer::QT_fp16, faiss::METRIC_INNER_PRODUCT,
            /*encode_residual=*/false);
        break;
      default:
        ivf = std::make_unique<faiss::IndexIVFFlat>(quantizer.get(), d, lists,
                                                    faiss::METRIC_INNER_PRODUCT);
        break;
    }
    // Spherical k-means: unit centroids, so that assigning by inner
    // product is assigning by cosine (plain means would favour the lists
    // with the longest centroids). FAISS subsamples the training points.
    ivf->own_fields = true;  // the IVF deletes its quantiser
    static_cast<void>(quantizer.release());
    ivf->cp.spherical = true;
    ivf->cp.niter = options_.ivf_train_iterations;
    ivf->cp.max_points_per_centroid = options_.ivf_train_points_per_list;
    ivf->train(n, vectors.data());
    ivf->add_with_ids(n, vectors.data(), reinterpret_cast<const idx_t*>(ids.data()));
    // The lists grew by doubling: give back the slack of this bulk load
    // (~40% of the index at 1M; one copy of each list, list by list).
    if (auto* lists = dynamic_cast<faiss::ArrayInvertedLists*>(ivf->invlists)) {
      for (size_t l = 0; l < lists->nlist; ++l) {
        lists->codes[l].shrink_to_fit();
        lists->ids[l].shrink_to_fit();
      }
    }
    index = std::move(ivf);
  } else {
    auto hnsw =
        std::make_unique<faiss::IndexHNSWFlat>(d, options_.hnsw_m, faiss::METRIC_INNER_PRODUCT);
    hnsw->hnsw.efConstruction = options_.hnsw_ef_construction;
    // FAISS 1.7.3's IndexHNSW::search reads hnsw.efSearch, not the
    // SearchParametersHNSW passed to it (measured: recall did not move).
    hnsw->hnsw.efSearch = options_.search_effort;
    hnsw->add(n, vectors.data());
    id_of_row.assign(ids.begin(), ids.end());
    index = std::move(hnsw);
  }
  // Publish (nothing above changed *this).
  index_ = std::move(index);
  ivf_lists_ = lists;
  approximate_ = true;
  id_of_row_ = std::move(id_of_row);
  dead_rows_ = 0;
  row_of_id_.clear();
  row_of_id_.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    row_of_id_[ids[i]] = IsIvf(options_.kind) ? 0 : static_cast<int64_t>(i);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> FloatIndex::Remove(absl::Span<const int64_t> ids) {
  std::vector<idx_t> live;
  for (int64_t id : ids) {
    if (row_of_id_.contains(id)) live.push_back(id);
  }
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  if (live.empty()) return 0;
  if (approximate_ && !IsIvf(options_.kind)) {
    // HNSW cannot delete: the rows stay in the graph, dead.
    for (idx_t id : live) {
      id_of_row_[row_of_id_[id]] = -1;
      row_of_id_.erase(id);
    }
    dead_rows_ += live.size();
    return live.size();
  }
  size_t removed = 0;
  absl::Status s = CatchFaiss("Remove", [&] {
    const faiss::IDSelectorBatch selector(live.size(), live.data());
    removed = index_->remove_ids(selector);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  for (idx_t id : live) row_of_id_.erase(id);
  return removed;
}

absl::Status FloatIndex::SetSearchEffort(int effort) {
  if (effort < 1) return absl::InvalidArgumentError("FloatIndex: search effort must be >= 1");
  options_.search_effort = effort;
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index_.get())) hnsw->hnsw.efSearch = effort;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::vector<FloatHit>>> FloatIndex::Search(
    absl::Span<const float> queries, size_t n, int k) const {
  const size_t d = static_cast<size_t>(options_.dimension);
  if (queries.size() != n * d) {
    return absl::InvalidArgumentError(absl::StrCat("FloatIndex::Search: ", queries.size(),
                                                   " floats for ", n, " queries of dimension ", d,
                                                   " (expected ", n * d, ")"));
  }
  std::vector<std::vector<FloatHit>> out(n);
  if (n == 0 || k <= 0 || size() == 0) return out;
  absl::Status s = CatchFaiss("Search", [&] { return SearchUnchecked(queries, n, k, &out); });
  if (!s.ok()) return s;
  return out;
}

absl::Status FloatIndex::SearchUnchecked(absl::Span<const float> queries, size_t n, int k,
                                         std::vector<std::vector<FloatHit>>* out) const {
  // One query: the calling thread alone (see the header's "Threads").
  OmpThreadsForThisThread threads(n >= 2 ? options_.search_threads : 1);
  const bool hnsw = approximate_ && !IsIvf(options_.kind);
  // Ask for enough that k live hits survive HNSW's dead rows.
  const size_t held = hnsw ? id_of_row_.size() : size();
  const idx_t kk =
      static_cast<idx_t>(std::min<size_t>(held, static_cast<size_t>(k) + (hnsw ? dead_rows_ : 0)));
  std::vector<float> scores(n * kk);
  std::vector<idx_t> labels(n * kk);
  const idx_t nq = static_cast<idx_t>(n);
  if (!approximate_) {
    index_->search(nq, queries.data(), kk, scores.data(), labels.data());
  } else if (!hnsw) {
    const size_t nprobe = static_cast<size_t>(std::min(options_.search_effort, ivf_lists_));
    // By list when each probed list serves >= 8 queries of the batch on
    // average (below that the matrix products are too thin to pay).
    if (options_.batch_by_list && n * nprobe >= 8 * static_cast<size_t>(ivf_lists_)) {
      SearchIvfByList(static_cast<const faiss::IndexIVF&>(*index_), n, queries.data(),
                      static_cast<size_t>(kk), nprobe, scores.data(), labels.data());
    } else {
      faiss::SearchParametersIVF params;
      params.nprobe = nprobe;
      index_->search(nq, queries.data(), kk, scores.data(), labels.data(), &params);
    }
  } else {
    // efSearch is hnsw.efSearch (SetSearchEffort); HNSW widens it to kk.
    index_->search(nq, queries.data(), kk, scores.data(), labels.data());
  }
  for (size_t q = 0; q < n; ++q) {
    std::vector<FloatHit>& hits = (*out)[q];
    hits.reserve(std::min<size_t>(k, kk));
    for (idx_t j = 0; j < kk && hits.size() < static_cast<size_t>(k); ++j) {
      idx_t label = labels[q * kk + j];
      if (label == -1) continue;  // FAISS's "no result" (other negative ids are the caller's)
      if (hnsw) {
        label = id_of_row_[label];
        if (label == -1) continue;  // removed
      }
      hits.push_back({.id = label, .score = scores[q * kk + j]});
    }
  }
  return absl::OkStatus();
}

size_t FloatIndex::memory_bytes() const {
  size_t bytes = row_of_id_.capacity() * (sizeof(std::pair<const int64_t, int64_t>) + 1) +
                 id_of_row_.capacity() * sizeof(int64_t);
  auto flat_bytes = [](const faiss::Index* index) -> size_t {
    const auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(index);
    return flat ? flat->codes.capacity() : 0;
  };
  if (const auto* map = dynamic_cast<const faiss::IndexIDMap*>(index_.get())) {
    bytes += flat_bytes(map->index) + map->id_map.capacity() * sizeof(idx_t);
  } else if (const auto* ivf = dynamic_cast<const faiss::IndexIVF*>(index_.get())) {
    bytes += flat_bytes(ivf->quantizer);
    if (const auto* lists = dynamic_cast<const faiss::ArrayInvertedLists*>(ivf->invlists)) {
      for (size_t i = 0; i < lists->nlist; ++i) {
        bytes += lists->codes[i].capacity() + lists->ids[i].capacity() * sizeof(idx_t) +
                 sizeof(lists->codes[i]) + sizeof(lists->ids[i]);
      }
    }
    if (const auto* sq = dynamic_cast<const faiss::IndexIVFScalarQuantizer*>(ivf)) {
      bytes += sq->sq.trained.capacity() * sizeof(float);
    }
  } else if (const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index_.get())) {
    bytes += flat_bytes(hnsw->storage) +
             hnsw->hnsw.neighbors.capacity() * sizeof(faiss::HNSW::storage_idx_t) +
             hnsw->hnsw.offsets.capacity() * sizeof(size_t) +
             hnsw->hnsw.levels.capacity() * sizeof(int);
  }
  return bytes;
}

std::string FloatIndex::kind() const {
  if (!approximate_) return "flat-ip";
  if (IsIvf(options_.kind)) {
    return absl::StrCat("ivf", ivf_lists_, "-", KindName(options_.kind),
                        " nprobe=", std::min(options_.search_effort, ivf_lists_));
  }
  return absl::StrCat("hnsw", options_.hnsw_m, " ef=", options_.search_effort);
}

}  // namespace hashwatch::index
