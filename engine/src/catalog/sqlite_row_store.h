// SqliteRowStore: the RowStore of a catalog kept in one SQLite file
// (docs/catalog.md): the file opened by catalog_file.h (owner-only, WAL,
// synchronous=FULL), the statements of CatalogStore, and a second read-only
// connection for local features. Others' changes are seen through SQLite's
// data_version and the ids above the largest read (rowids only grow).
//
// Thread safety: as RowStore.
#ifndef HASHWATCH_CATALOG_SQLITE_ROW_STORE_H_
#define HASHWATCH_CATALOG_SQLITE_ROW_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "catalog/catalog_store.h"
#include "catalog/feature_reader.h"
#include "catalog/row_store.h"
#include "catalog/sqlite_db.h"

namespace hashwatch::catalog {

class SqliteRowStore : public RowStore {
 public:
  // Over an open catalog file: reads and writes.
  static absl::StatusOr<std::unique_ptr<SqliteRowStore>> Create(SqliteDb db);
  // Over a connection owned by the caller (VerifyCatalog's read-only one):
  // reads only; the write calls are FailedPrecondition.
  static std::unique_ptr<SqliteRowStore> ForReading(SqliteDb* db);

  SqliteDb& db() { return *db_; }

  const std::string& name() const override { return db_->path(); }
  absl::Status BeginWrite() override;
  absl::Status Commit() override;
  void Rollback() override;
  absl::StatusOr<std::optional<CaseRow>> FindCase(const std::string& id) override;
  absl::Status CreateCase(const std::string& id, const std::string& label,
                          const std::string& created) override;
  absl::Status SetCaseLabel(const std::string& id, const std::string& label) override;
  absl::Status MarkCaseWithdrawn(const std::string& id, const std::string& when) override;
  absl::StatusOr<std::optional<int64_t>> FindItemBySha256(
      const std::string& case_id, absl::Span<const uint8_t> sha256) override;
  absl::StatusOr<int64_t> InsertItem(const ItemRow& row) override;
  absl::StatusOr<int64_t> InsertSignal(const SignalRow& row) override;
  absl::StatusOr<std::vector<int64_t>> ItemsOfCase(const std::string& case_id) override;
  absl::StatusOr<std::vector<int64_t>> FrameSignalsOfItems(
      absl::Span<const int64_t> items) override;
  absl::Status AppendAudit(std::string_view action, const std::string& operator_name,
                           const std::string& time, const std::string& details) override;
  absl::StatusOr<ChangeCursor> LoadAll(int min_quality, const LoadCallbacks& load) override;
  absl::StatusOr<bool> Changed(const ChangeCursor& cursor) override;
  absl::StatusOr<ChangeCursor> ReadChanges(
      const ChangeCursor& cursor, int min_quality,
      const std::function<absl::Status(const RowChanges&)>& on_rows,
      const std::function<absl::Status(const IndexedRowView&)>& on_signal) override;
  absl::StatusOr<RowCounts> Counts(int min_quality) override;
  absl::Status ForEachExportRow(
      const std::string& case_id,
      const std::function<void(absl::Span<const uint8_t>, std::optional<int64_t>,
                               const std::string&, const std::string&)>& row) override;
  absl::StatusOr<int64_t> CountOpenVideos(const std::string& case_id) override;
  absl::StatusOr<std::optional<VideoItemRow>> FindVideoItem(int64_t item) override;
  absl::Status ForEachFrameRun(int64_t item,
                               const std::function<void(const FrameRunRow&)>& run) override;
  absl::StatusOr<std::vector<uint8_t>> LocalFeatures(int64_t item) const override;

 private:
  SqliteRowStore(std::unique_ptr<SqliteDb> owned, SqliteDb* db)
      : owned_(std::move(owned)), db_(db), features_(db->path()) {}
  absl::Status Writable() const;

  std::unique_ptr<SqliteDb> owned_;
  SqliteDb* db_;
  std::optional<CatalogStore> store_;  // set when writable
  std::optional<SqliteTransaction> txn_;
  FeatureReader features_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_SQLITE_ROW_STORE_H_
