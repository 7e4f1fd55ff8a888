// Catalog::Stats and Catalog::RecordScan: what the catalog holds, and the
// audit record of a scan run.
#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"
#include "catalog/catalog_schema.h"

namespace hashwatch {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

}  // namespace

absl::StatusOr<CatalogStats> Catalog::Stats() const {
  CatalogStats stats;
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  catalog::SqliteDb& db = impl_->db;
  if (absl::Status s = db.Exec("BEGIN"); !s.ok()) return s;  // one consistent snapshot
  struct EndRead {
    catalog::SqliteDb& db;
    ~EndRead() { db.Exec("COMMIT").IgnoreError(); }
  } end_read{db};
  const std::string quality_min = absl::StrCat(impl_->options.index_min_quality);
  struct {
    int64_t* out;
    std::string sql;
  } const queries[] = {
      {&stats.cases_open, "SELECT count(*) FROM cases WHERE status = 'open'"},
      {&stats.cases_withdrawn, "SELECT count(*) FROM cases WHERE status = 'withdrawn'"},
      {&stats.items, "SELECT count(*) FROM items"},
      {&stats.video_items, "SELECT count(*) FROM items WHERE media_kind = 'video'"},
      {&stats.pdq_hashes, "SELECT count(*) FROM signals WHERE type = 'pdq'"},
      {&stats.low_quality_hashes,
       "SELECT count(*) FROM signals WHERE type = 'pdq' AND quality < " + quality_min},
      {&stats.embeddings, "SELECT count(*) FROM signals WHERE type = 'embedding'"},
      {&stats.audit_entries, "SELECT count(*) FROM audit_log"},
  };
  for (const auto& q : queries) {
    absl::StatusOr<int64_t> n = db.QueryInt(q.sql);
    if (!n.ok()) return n.status();
    *q.out = *n;
  }
  absl::StatusOr<int64_t> version = db.QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  stats.schema_version = static_cast<int>(*version);
  stats.indexed_hashes = static_cast<int64_t>(
      impl_->indexes.images.size() + impl_->indexes.views.size() + impl_->indexes.frames.size());
  stats.indexed_frames = static_cast<int64_t>(impl_->indexes.frames.size());
  stats.indexed_views = static_cast<int64_t>(impl_->indexes.views.size());
  stats.index_memory_bytes = static_cast<int64_t>(impl_->indexes.images.MemoryBytes() +
                                                  impl_->indexes.views.MemoryBytes() +
                                                  impl_->indexes.frames.MemoryBytes());
  stats.indexed_embeddings = static_cast<int64_t>(impl_->indexes.embeddings.size());
  stats.foreign_embeddings = impl_->foreign_embeddings;
  if (impl_->options.embedding != nullptr) stats.embedding_model = impl_->options.embedding->name();
  stats.embedding_index = impl_->indexes.embeddings.kind();
  stats.file_bytes = FileSize(db.path()) + FileSize(db.path() + "-wal");
  stats.open_read_seconds = impl_->open_read_seconds;
  stats.open_index_seconds = impl_->open_index_seconds;
  return stats;
}

absl::Status Catalog::RecordScan(const ScanSummary& summary, const std::string& operator_name) {
  const std::string details = catalog::AuditDetails()
                                  .Add("files", summary.files)
                                  .Add("matched_files", summary.matched_files)
                                  .Add("failed_files", summary.failed_files)
                                  .Add("low_quality_files", summary.low_quality_files)
                                  .Add("threshold", int64_t{summary.options.threshold})
                                  .Add("dihedral", summary.options.dihedral)
                                  .Add("min_quality", int64_t{summary.options.min_quality})
                                  .json();
  absl::StatusOr<std::string> who = catalog::OperatorOrDefault(operator_name);
  if (!who.ok()) return who.status();
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  return impl_->store->AppendAudit("scan", *who, catalog::UtcTimestampNow(), details);
}

}  // namespace hashwatch
