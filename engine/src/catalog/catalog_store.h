// CatalogStore: an SQLite catalog's rows, written with statements prepared
// once (SqliteRowStore's write half). It knows the schema (catalog_schema.cc)
// and nothing of the index or of media.
//
// Thread safety: none; the Catalog calls it with its write mutex held. The
// SqliteDb passed to Prepare must outlive the store and not move.
#ifndef HASHWATCH_CATALOG_CATALOG_STORE_H_
#define HASHWATCH_CATALOG_CATALOG_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catalog/row_store.h"
#include "catalog/sqlite_db.h"

namespace hashwatch::catalog {

// The columns of a stored signal that decide where it is indexed
// (IndexBatch::AddRow), in this order, for SELECTs that feed the indexes.
inline constexpr char kIndexedColumns[] =
    "id, item_id, hash, frame_time, frame_end, frame_samples, type";
// The signal types those SELECTs take (row_store.h): an image's or frame's
// own PDQ, a stored view's PDQ and an image's embedding.
inline constexpr char kIndexedTypes[] = "type IN ('pdq', 'pdq_view', 'embedding')";

class CatalogStore {
 public:
  static absl::StatusOr<CatalogStore> Prepare(SqliteDb* db);

  absl::StatusOr<std::optional<CaseRow>> FindCase(const std::string& id);
  absl::Status CreateCase(const std::string& id, const std::string& label,
                          const std::string& created);
  absl::Status SetCaseLabel(const std::string& id, const std::string& label);
  absl::Status MarkCaseWithdrawn(const std::string& id, const std::string& when);

  // The item of `case_id` whose file had this SHA-256, if any.
  absl::StatusOr<std::optional<int64_t>> FindItemBySha256(const std::string& case_id,
                                                          absl::Span<const uint8_t> sha256);
  absl::StatusOr<int64_t> InsertItem(const ItemRow& row);
  // Returns the new signal's id.
  absl::StatusOr<int64_t> InsertSignal(const SignalRow& row);
  absl::StatusOr<std::vector<int64_t>> ItemsOfCase(const std::string& case_id);
  // Ids of the video frame signals of these items.
  absl::StatusOr<std::vector<int64_t>> FrameSignalsOfItems(absl::Span<const int64_t> items);

  // action: enroll, withdraw, scan, import or export; details: a JSON object.
  absl::Status AppendAudit(std::string_view action, const std::string& operator_name,
                           const std::string& time, const std::string& details);

  SqliteDb* db() const { return db_; }

 private:
  explicit CatalogStore(SqliteDb* db) : db_(db) {}

  SqliteDb* db_;
  std::optional<SqliteStatement> find_case_, create_case_, set_label_, withdraw_case_,
      find_item_by_sha_, insert_item_, insert_signal_, items_of_case_, append_audit_,
      frames_of_item_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_STORE_H_
