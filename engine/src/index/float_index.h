// FloatIndex: k-nearest-neighbour search over L2-normalised float vectors of
// one fixed dimension (image embeddings), scored by inner product (= cosine
// similarity for unit vectors), with int64 ids chosen by the caller. The
// engine's index of embedding signals; FAISS stays behind this header.
//
// Structure: below options.exact_limit vectors an exact faiss::IndexFlatIP
// (inside an IndexIDMap). The first Add that brings the index to
// exact_limit or more trains the approximate index (options.kind) on every
// vector held and moves them into it; later Adds go straight into it (IVF
// centroids are not retrained: rebuild the index if the data drifts far).
// docs/benchmarks.md "Embedding float index" has the measurements behind
// the defaults (1M vectors, 2 cores).
//
// Contract:
// - Vectors are `dimension` floats each, row-major. They should be
//   L2-normalised (the caller's business; scores are raw inner products).
// - Ids are any int64 except -1. An id must not be live already (Add fails
//   with AlreadyExists and changes nothing); after Remove it may be added
//   again, as a new vector.
// - Remove takes effect at once: a removed id is never returned by a
//   Search that starts after Remove returned. (IVF and flat: the vector is
//   deleted; HNSW, which cannot delete: the row is marked dead and filtered
//   out of results, and Search asks HNSW for k + dead rows so that up to k
//   live results still come back; the dead rows keep their memory.)
// - Search returns, for each query, up to k hits best first (highest score;
//   ties in FAISS's order). Fewer than k when the index holds fewer live
//   vectors, or when the approximate index visits fewer.
// - Errors are absl::Status; FAISS exceptions are caught here and returned
//   as Internal (or ResourceExhausted for std::bad_alloc).
//
// Thread safety: Search is const and may run concurrently with other
// Search calls. Add, Remove and SetSearchEffort need exclusive access: the
// caller holds a writer lock (e.g. std::shared_mutex, Search under a shared
// lock).
//
// Threads: one owner per call, decided here. A Search of one query runs on
// the calling thread only (no OpenMP fan-out), so the engine's own pool can
// call Search from several threads without oversubscribing the cores. A
// batched Search (>= 2 queries) runs FAISS's OpenMP loop over queries with
// options.search_threads threads, set with omp_set_num_threads for the
// calling thread only (OpenMP's thread count is a per-thread setting) and
// restored on return. Set search_threads to the core count when one thread
// issues big batches, leave it 1 when many threads call Search at once.
// Exact batches of >= 20 queries, IVF's coarse quantiser on batches and
// IVF batches searched by list (options.batch_by_list) multiply matrices
// with OpenBLAS, whose thread pool is process-wide (OPENBLAS_NUM_THREADS,
// default all cores; Debian's pthread build): those big batches use the
// whole machine whatever search_threads says, so issue them from one
// thread at a time. Run with OMP_WAIT_POLICY=passive on small machines
// (design.md: spinning OpenMP threads made a 2-core flat search 10x slower).
#ifndef HASHWATCH_INDEX_FLOAT_INDEX_H_
#define HASHWATCH_INDEX_FLOAT_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace faiss {
struct Index;
}  // namespace faiss

namespace hashwatch::index {

// The approximate structure used from exact_limit vectors on.
enum class FloatIndexKind {
  kIvfFlat,   // IVF, full float vectors in the lists (d * 4 + 8 bytes a vector)
  kIvfSq8,    // IVF, 8-bit scalar-quantised residuals (d + 8 bytes a vector)
  kIvfFp16,   // IVF, half-float vectors (d * 2 + 8 bytes a vector)
  kHnswFlat,  // HNSW graph over float vectors; Remove marks rows dead
};

struct FloatIndexOptions {
  // Floats per vector; must be > 0.
  int dimension = 0;
  // Below this many vectors: exact flat search. At or above: `kind`.
  size_t exact_limit = 50000;
  FloatIndexKind kind = FloatIndexKind::kIvfFlat;
  // IVF: inverted lists; 0 picks a power of two near sqrt(n) at training
  // (1024 at 1M), within [16, 65536].
  int ivf_lists = 0;
  // IVF: k-means iterations and training points per list (a sample of the
  // vectors held, at least 39 per list as FAISS requires). FAISS's defaults
  // are 25 and 256; these keep the whole build (train + add) at 1M x 1280
  // near 1.5 minutes on 2 cores (docs/benchmarks.md). Their effect on
  // recall against FAISS's defaults was not measured.
  int ivf_train_iterations = 10;
  int ivf_train_points_per_list = 64;
  // HNSW: links per node and build effort.
  int hnsw_m = 32;
  int hnsw_ef_construction = 40;
  // Search effort of the approximate index: IVF lists probed (nprobe) or
  // HNSW's efSearch. 64 of 1024 lists gave recall@10 0.96 at 1M x 256
  // (docs/benchmarks.md "Embedding float index"); 99.4-100% of near-copies
  // came first already at 16.
  int search_effort = 64;
  // IVF: search a big batch list by list with matrix products (OpenBLAS)
  // instead of FAISS's per-vector scan, when each probed list serves >= 8
  // of its queries on average. Same results; several times the queries/s
  // at 1M (docs/benchmarks.md). false: always FAISS's own IndexIVF::search.
  bool batch_by_list = true;
  // OpenMP threads of a batched Search (see "Threads" above); >= 1.
  int search_threads = 1;
  // OpenMP threads used while training / adding; 0: OpenMP's default.
  int build_threads = 0;
};

struct FloatHit {
  int64_t id = 0;
  float score = 0;  // inner product with the query
};

class FloatIndex {
 public:
  // InvalidArgument for dimension <= 0, search_threads < 1 or
  // search_effort < 1.
  static absl::StatusOr<std::unique_ptr<FloatIndex>> Create(const FloatIndexOptions& options);

  ~FloatIndex();
  FloatIndex(const FloatIndex&) = delete;
  FloatIndex& operator=(const FloatIndex&) = delete;

  // Adds vectors[d*i, d*i+d) under ids[i]. InvalidArgument when
  // vectors.size() != dimension * ids.size() or an id is -1; AlreadyExists
  // when an id is live or repeated in `ids` (nothing is added then).
  // Crossing exact_limit trains the approximate index here (seconds at 1M).
  absl::Status Add(absl::Span<const int64_t> ids, absl::Span<const float> vectors);

  // Removes the vectors of these ids; unknown ids are ignored. Returns how
  // many were removed.
  absl::StatusOr<size_t> Remove(absl::Span<const int64_t> ids);

  // Searches n queries (queries.size() must be n * dimension, else
  // InvalidArgument) for their k best live vectors each. k <= 0 or an
  // empty index gives n empty lists.
  absl::StatusOr<std::vector<std::vector<FloatHit>>> Search(absl::Span<const float> queries,
                                                            size_t n, int k) const;

  // Changes nprobe / efSearch (>= 1). Exclusive access, like Add.
  absl::Status SetSearchEffort(int effort);

  // Live vectors.
  size_t size() const { return row_of_id_.size(); }
  int dimension() const { return options_.dimension; }
  // Whether the approximate index is in use (size reached exact_limit).
  bool approximate() const { return approximate_; }
  // Bytes allocated by the index structures (vectors or codes, ids, lists,
  // centroids, graph links, the id table), computed from their capacities.
  size_t memory_bytes() const;
  // For stats: e.g. "flat-ip", "ivf1024-flat nprobe=16", "hnsw32 ef=64".
  std::string kind() const;

 private:
  explicit FloatIndex(const FloatIndexOptions& options);

  absl::Status AddUnchecked(absl::Span<const int64_t> ids, absl::Span<const float> vectors);
  absl::Status BuildApproximate(absl::Span<const int64_t> ids, absl::Span<const float> vectors);
  absl::Status SearchUnchecked(absl::Span<const float> queries, size_t n, int k,
                               std::vector<std::vector<FloatHit>>* out) const;

  FloatIndexOptions options_;
  bool approximate_ = false;
  int ivf_lists_ = 0;  // lists of the trained IVF (0 before training)
  // The FAISS index searched: IndexIDMap(IndexFlatIP), an IndexIVF* (owning
  // its quantiser) with the caller's ids, or an IndexHNSWFlat with row numbers as labels.
  std::unique_ptr<faiss::Index> index_;
  // Live id -> HNSW row (0 for the other kinds, where FAISS holds the id).
  absl::flat_hash_map<int64_t, int64_t> row_of_id_;
  // HNSW only: row -> id (-1 once the row is dead), and the dead count.
  std::vector<int64_t> id_of_row_;
  size_t dead_rows_ = 0;
};

}  // namespace hashwatch::index

#endif  // HASHWATCH_INDEX_FLOAT_INDEX_H_
