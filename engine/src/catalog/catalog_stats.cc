// Catalog::Stats and Catalog::RecordScan: what the catalog holds, and the
// audit record of a scan run.
#include "absl/strings/str_cat.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"

namespace hashwatch {
absl::StatusOr<CatalogStats> Catalog::Stats() const {
  CatalogStats stats;
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  absl::StatusOr<catalog::RowCounts> counts = impl_->rows->Counts(impl_->options.index_min_quality);
  if (!counts.ok()) return counts.status();
  stats.schema_version = counts->schema_version;
  stats.cases_open = counts->cases_open;
  stats.cases_withdrawn = counts->cases_withdrawn;
  stats.items = counts->items;
  stats.video_items = counts->video_items;
  stats.pdq_hashes = counts->pdq_hashes;
  stats.low_quality_hashes = counts->low_quality_hashes;
  stats.embeddings = counts->embeddings;
  stats.audit_entries = counts->audit_entries;
  stats.file_bytes = counts->storage_bytes;
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
  return impl_->rows->AppendAudit("scan", *who, catalog::UtcTimestampNow(), details);
}

}  // namespace hashwatch
