#include "catalog/feature_reader.h"

#include "absl/strings/str_cat.h"
#include "catalog/catalog_store.h"

namespace hashwatch::catalog {

absl::StatusOr<std::vector<uint8_t>> FeatureReader::Read(int64_t item) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!db_.has_value()) {
    absl::StatusOr<SqliteDb> db = SqliteDb::Open(path_, /*create=*/false);
    if (!db.ok()) return db.status();
    if (absl::Status s = db->Exec("PRAGMA busy_timeout = 5000; PRAGMA query_only = 1"); !s.ok()) {
      return s;
    }
    db_.emplace(*std::move(db));
  }
  if (!query_.has_value()) {
    absl::StatusOr<SqliteStatement> q =
        db_->Prepare(absl::StrCat("SELECT hash FROM signals WHERE item_id = ?1 AND type = '",
                                  kLocalFeaturesType, "' LIMIT 1"));
    if (!q.ok()) return q.status();
    query_.emplace(*std::move(q));
  }
  query_->Reset();
  query_->Bind(1, item);
  std::vector<uint8_t> out;
  absl::Status s = query_->ForEachRow([&] {
    const absl::Span<const uint8_t> blob = query_->Blob(0);
    out.assign(blob.begin(), blob.end());
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace hashwatch::catalog
