// Catalog::Open: the file, the schema, the in-memory index; and the small
// checks every write shares.
#include <cstdint>
#include <memory>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_file.h"
#include "catalog/catalog_impl.h"
#include "catalog/catalog_loader.h"
#include "catalog/pg/pg_conn.h"
#include "catalog/pg/pg_row_store.h"
#include "catalog/sqlite_row_store.h"
#include "hashwatch/text.h"

namespace hashwatch {

absl::Status ValidateCaseId(const CaseId& id) {
  if (id.empty()) return absl::InvalidArgumentError("no case id given");
  if (id.size() > 200) {
    return absl::InvalidArgumentError(
        absl::StrCat("case id is ", id.size(), " bytes long; the limit is 200"));
  }
  return catalog::ValidateText("case id", id);
}

absl::Status ValidateOperatorName(const std::string& name) {
  if (name.empty()) return absl::OkStatus();
  if (name.size() > 100) {
    return absl::InvalidArgumentError(
        absl::StrCat("operator name is ", name.size(), " bytes long; the limit is 100"));
  }
  if (name.front() == ' ' || name.back() == ' ') {
    return absl::InvalidArgumentError(
        absl::StrCat("operator name '", name, "' begins or ends with a space"));
  }
  return catalog::ValidateText("operator name", name);
}

namespace catalog {

absl::Status ValidateText(const std::string& what, const std::string& text) {
  if (!IsPrintableText(text)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", PrintableText(text),
                     "' contains a control character (e.g. a line break) or is not valid UTF-8"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> OperatorOrDefault(const std::string& name) {
  if (name.empty()) return DefaultOperatorName();
  if (absl::Status s = ValidateOperatorName(name); !s.ok()) return s;
  return name;
}

}  // namespace catalog

Catalog::Catalog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Catalog::~Catalog() = default;

const std::string& Catalog::path() const {
  return impl_->rows->name();
}

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path,
                                                       const CatalogOptions& options) {
  if (options.index_min_quality < 0 || options.index_min_quality > 101) {
    return absl::InvalidArgumentError("index_min_quality must be 0..101");
  }
  if (!(options.max_staleness_seconds >= 0)) {
    return absl::InvalidArgumentError("max_staleness_seconds must be 0 or more");
  }
  HashOptions enrol;
  enrol.signals = {"pdq", "sha256"};
  enrol.views = options.enrol_views;
  enrol.local_features = options.enrol_local_features;
  enrol.embedding = options.embedding;
  enrol.limits = options.limits;
  VideoOptions enrol_video;
  enrol_video.sample_interval = options.reference_interval;
  // A reference's frames store the same views as an enrolled photo, so a
  // cropped copy of the video is found like a cropped photo; borders are
  // already removed over the whole video.
  enrol_video.views = options.enrol_views;
  enrol_video.views.border = false;
  enrol_video.view_interval = options.reference_view_interval;
  enrol_video.limits = options.limits;
  absl::StatusOr<MediaHasher> enrol_hasher = MediaHasher::Create(enrol, enrol_video);
  if (!enrol_hasher.ok()) return enrol_hasher.status();
  HashOptions query;
  query.signals = {"pdq"};
  query.variants = true;
  query.views = options.query_views;
  // Hashed from the decode the verification stage looks at: one decode.
  query.verification_pixels = true;
  query.embedding = options.embedding;
  query.limits = options.limits;
  VideoOptions query_video;
  query_video.sample_interval = options.query_interval;
  query_video.variants = true;
  // A query frame is also looked at inside its own bars, when it has bars
  // that the video as a whole does not (a pillarboxed clip in a 16:9
  // compilation). Canvases and turns stay photo-only: each would cost
  // several more searches for every sampled moment.
  query_video.views.border = options.query_views.border;
  query_video.digests = {};
  query_video.limits = options.limits;
  absl::StatusOr<MediaHasher> query_hasher = MediaHasher::Create(query, query_video);
  if (!query_hasher.ok()) return query_hasher.status();
  std::unique_ptr<IsolatedHasher> isolated;
  if (options.isolation.has_value()) {
    IsolationOptions isolation = *options.isolation;
    isolation.verification_pixels = true;  // the verification stage looks at them
    absl::StatusOr<std::unique_ptr<IsolatedHasher>> h =
        IsolatedHasher::Create(query, query_video, isolation);
    if (!h.ok()) return h.status();
    isolated = *std::move(h);
  }

  std::unique_ptr<catalog::RowStore> rows;
  if (catalog::pg::IsServerUri(path)) {
    absl::StatusOr<std::unique_ptr<catalog::RowStore>> server = catalog::pg::OpenPgRowStore(path);
    if (!server.ok()) return server.status();
    rows = *std::move(server);
  } else {
    absl::StatusOr<catalog::SqliteDb> db =
        catalog::OpenCatalogFile(path, {.create_if_missing = options.create_if_missing,
                                        .busy_timeout_ms = options.busy_timeout_ms});
    if (!db.ok()) return db.status();
    absl::StatusOr<std::unique_ptr<catalog::SqliteRowStore>> file =
        catalog::SqliteRowStore::Create(*std::move(db));
    if (!file.ok()) return file.status();
    rows = *std::move(file);
  }

  auto impl = std::make_unique<Impl>(options, std::move(rows), *std::move(enrol_hasher),
                                     *std::move(query_hasher));
  impl->isolated_query_hasher = std::move(isolated);
  impl->fresh_as_of_ns.store(catalog::SteadyNowNs());
  catalog::LoadResult loaded;
  if (absl::Status s =
          catalog::LoadCatalog(impl->rows.get(), options.index_min_quality,
                               impl->EmbeddingModelId(), &impl->directory, &impl->indexes, &loaded);
      !s.ok()) {
    return s;
  }
  impl->cursor = loaded.cursor;
  if (options.follow_changes && impl->rows->CanWaitForChanges()) {
    Impl* raw = impl.get();
    impl->follower = std::thread([raw] { catalog::FollowChanges(*raw); });
  }
  impl->open_read_seconds = loaded.read_seconds;
  impl->open_index_seconds = loaded.index_seconds;
  impl->foreign_embeddings = loaded.foreign_embeddings;
  return std::unique_ptr<Catalog>(new Catalog(std::move(impl)));
}

}  // namespace hashwatch
