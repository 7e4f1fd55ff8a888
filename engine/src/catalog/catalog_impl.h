// Catalog::Impl: what one open catalog holds, shared by the files that
// implement the Catalog's methods (catalog_open.cc, catalog_enroll.cc, ...).
//
// Locking: `write_mu` serialises every use of the row store's connection
// (`rows`, except its LocalFeatures) and every change to `directory` and
// `index` that must follow a commit in the same order. Matchers never take
// it: they read `index` and `directory`, which are safe for concurrent
// readers and writers.
#ifndef HASHWATCH_CATALOG_CATALOG_IMPL_H_
#define HASHWATCH_CATALOG_CATALOG_IMPL_H_

#include <atomic>
#include <mutex>
#include <thread>
#include <optional>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "catalog/case_directory.h"
#include "catalog/index_batch.h"
#include "catalog/row_store.h"
#include "hashwatch/catalog.h"
#include "hashwatch/embedding.h"
#include "hashwatch/media_hasher.h"

namespace hashwatch {

struct Catalog::Impl {
  Impl(CatalogOptions opts, std::unique_ptr<catalog::RowStore> row_store, MediaHasher enrol,
       MediaHasher query)
      : options(std::move(opts)),
        rows(std::move(row_store)),
        enrol_hasher(std::move(enrol)),
        query_hasher(std::move(query)) {}

  ~Impl() {
    stopping.store(true);
    if (follower.joinable()) follower.join();
  }

  // Whether a stored hash of this quality goes into the index.
  bool Indexable(std::optional<int64_t> quality) const {
    return !quality.has_value() || *quality >= options.index_min_quality;
  }

  // The fingerprint of the catalog's embedding model; 0 without one.
  uint32_t EmbeddingModelId() const {
    return options.embedding == nullptr ? 0 : options.embedding->fingerprint();
  }

  // Takes items out of both indexes (their images, and their video frames
  // by signal id). write_mu held.
  absl::Status RemoveItems(absl::Span<const int64_t> items) {
    indexes.images.Remove(items);
    indexes.views.Remove(items);
    indexes.embeddings.Remove(items);
    absl::StatusOr<std::vector<int64_t>> frames = rows->FrameSignalsOfItems(items);
    if (!frames.ok()) return frames.status();
    indexes.frames.Remove(*frames);
    return absl::OkStatus();
  }

  const CatalogOptions options;
  std::mutex write_mu;
  // The rows: an SQLite file or a PostgreSQL server. Guarded by write_mu,
  // but for LocalFeatures (for verification), which is thread-safe.
  const std::unique_ptr<catalog::RowStore> rows;
  catalog::CatalogIndexes indexes;
  catalog::CaseDirectory directory;
  // Images: pdq (original only) + sha256; videos: frames every
  // reference_interval, sha256 + md5.
  const MediaHasher enrol_hasher;
  // pdq with its dihedral variants and query_views; videos every
  // query_interval, no digests.
  // (A query image's local features are computed only when a candidate
  // needs verifying: catalog_match.cc.)
  const MediaHasher query_hasher;
  // The same hashing in worker processes (CatalogOptions::isolation), for
  // MatchFile; null when not isolated.
  std::unique_ptr<IsolatedHasher> isolated_query_hasher;
  double open_read_seconds = 0;
  double open_index_seconds = 0;
  // Where Refresh stands in others' changes (guarded by write_mu).
  catalog::ChangeCursor cursor;
  // Items a Refresh put in the directory whose hashes it could not index
  // (it failed later): the next Refresh indexes them, although the
  // directory already knows them.
  absl::flat_hash_set<int64_t> refresh_pending;
  // Stored embeddings of another model, found when the catalog opened.
  int64_t foreign_embeddings = 0;
  // When this object last knew it held everything committed to the file
  // (steady clock, nanoseconds): Open's load, or the data_version check of
  // the last Refresh that succeeded. Match* catch up first when it is older
  // than options.max_staleness_seconds (catalog::EnsureFresh).
  std::atomic<int64_t> fresh_as_of_ns{0};
  // Server catalogs: a thread woken by the server's change announcements
  // (LISTEN/NOTIFY) that catches up at once, so changes reach this catalog
  // in milliseconds even between matches (catalog::FollowChanges).
  std::thread follower;
  std::atomic<bool> stopping{false};
};

namespace catalog {

// InvalidArgument if free text (a label, note or operator) has control
// characters, which would break CSV exports and logs.
absl::Status ValidateText(const std::string& what, const std::string& text);
// `name`, or DefaultOperatorName() when empty.
absl::StatusOr<std::string> OperatorOrDefault(const std::string& name);

// Now on the steady clock, in nanoseconds (Impl::fresh_as_of_ns).
int64_t SteadyNowNs();
// Catalog::Refresh (catalog_refresh.cc). Takes write_mu. Skips the work when
// another thread's Refresh checked the file at or after `not_before_ns`.
absl::Status Refresh(Catalog::Impl& impl, int64_t not_before_ns = 0);
// Called by every Match* just before it searches: Refresh when the catalog
// last caught up longer ago than options.max_staleness_seconds, so no match
// is made against a state older than that. Unavailable when it cannot catch
// up (the match must not be made then).
absl::Status EnsureFresh(Catalog::Impl& impl);
// The follower thread's loop: wait for an announcement (or a second), catch
// up; until impl.stopping. Errors are retried on the next round.
void FollowChanges(Catalog::Impl& impl);

}  // namespace catalog
}  // namespace hashwatch

#endif  // HASHWATCH_CATALOG_CATALOG_IMPL_H_
