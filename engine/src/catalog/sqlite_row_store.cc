#include "catalog/sqlite_row_store.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "catalog/catalog_loader.h"

namespace hashwatch::catalog {
namespace {

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// A read snapshot: BEGIN now, COMMIT when it goes.
class ReadSnapshot {
 public:
  static absl::StatusOr<std::unique_ptr<ReadSnapshot>> Begin(SqliteDb* db) {
    if (absl::Status s = db->Exec("BEGIN"); !s.ok()) return s;
    return std::unique_ptr<ReadSnapshot>(new ReadSnapshot(db));
  }
  ~ReadSnapshot() { db_->Exec("COMMIT").IgnoreError(); }

 private:
  explicit ReadSnapshot(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

IndexedRowView IndexedRow(const SqliteStatement& q) {
  auto opt_double = [&](int c) {
    return q.IsNull(c) ? std::nullopt : std::optional<double>(q.Double(c));
  };
  const absl::Span<const uint8_t> type = q.Blob(6);
  return {.signal = q.Int(0),
          .item = q.Int(1),
          .hash = q.Blob(2),
          .frame_time = opt_double(3),
          .frame_end = opt_double(4),
          .frame_samples = q.IsNull(5) ? std::nullopt : std::optional<int64_t>(q.Int(5)),
          .type = std::string_view(reinterpret_cast<const char*>(type.data()), type.size())};
}

// The indexed signals with id above `after`, of trusted quality.
absl::Status ForEachIndexedSignal(SqliteDb* db, int64_t after, int min_quality,
                                  const std::function<absl::Status(const IndexedRowView&)>& fn) {
  absl::StatusOr<SqliteStatement> q =
      db->Prepare(absl::StrCat("SELECT ", kIndexedColumns, " FROM signals WHERE id > ?1 AND ",
                               kIndexedTypes, " AND (quality IS NULL OR quality >= ?2)"));
  if (!q.ok()) return q.status();
  q->Bind(1, after).Bind(2, int64_t{min_quality});
  return q->ForEachRow([&] { return fn(IndexedRow(*q)); });
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteRowStore>> SqliteRowStore::Create(SqliteDb db) {
  auto owned = std::make_unique<SqliteDb>(std::move(db));
  SqliteDb* raw = owned.get();
  std::unique_ptr<SqliteRowStore> rows(new SqliteRowStore(std::move(owned), raw));
  absl::StatusOr<CatalogStore> store = CatalogStore::Prepare(raw);
  if (!store.ok()) return store.status();
  rows->store_.emplace(*std::move(store));
  return rows;
}

std::unique_ptr<SqliteRowStore> SqliteRowStore::ForReading(SqliteDb* db) {
  return std::unique_ptr<SqliteRowStore>(new SqliteRowStore(nullptr, db));
}

absl::Status SqliteRowStore::Writable() const {
  if (store_.has_value()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(db_->path(), ": opened for reading only"));
}

absl::Status SqliteRowStore::BeginWrite() {
  if (absl::Status s = Writable(); !s.ok()) return s;
  absl::StatusOr<SqliteTransaction> txn = SqliteTransaction::Begin(db_);
  if (!txn.ok()) return txn.status();
  txn_.emplace(*std::move(txn));
  return absl::OkStatus();
}

absl::Status SqliteRowStore::Commit() {
  if (!txn_.has_value()) return absl::FailedPreconditionError("no transaction to commit");
  absl::Status s = txn_->Commit();
  txn_.reset();
  return s;
}

void SqliteRowStore::Rollback() {
  txn_.reset();  // rolls back unless committed
}

absl::StatusOr<std::optional<CaseRow>> SqliteRowStore::FindCase(const std::string& id) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->FindCase(id);
}

absl::Status SqliteRowStore::CreateCase(const std::string& id, const std::string& label,
                                        const std::string& created) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->CreateCase(id, label, created);
}

absl::Status SqliteRowStore::SetCaseLabel(const std::string& id, const std::string& label) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->SetCaseLabel(id, label);
}

absl::Status SqliteRowStore::MarkCaseWithdrawn(const std::string& id, const std::string& when) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->MarkCaseWithdrawn(id, when);
}

absl::StatusOr<std::optional<int64_t>> SqliteRowStore::FindItemBySha256(
    const std::string& case_id, absl::Span<const uint8_t> sha256) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->FindItemBySha256(case_id, sha256);
}

absl::StatusOr<int64_t> SqliteRowStore::InsertItem(const ItemRow& row) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->InsertItem(row);
}

absl::StatusOr<int64_t> SqliteRowStore::InsertSignal(const SignalRow& row) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->InsertSignal(row);
}

absl::StatusOr<std::vector<int64_t>> SqliteRowStore::ItemsOfCase(const std::string& case_id) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->ItemsOfCase(case_id);
}

absl::StatusOr<std::vector<int64_t>> SqliteRowStore::FrameSignalsOfItems(
    absl::Span<const int64_t> items) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->FrameSignalsOfItems(items);
}

absl::Status SqliteRowStore::AppendAudit(std::string_view action, const std::string& operator_name,
                                         const std::string& time, const std::string& details) {
  if (absl::Status s = Writable(); !s.ok()) return s;
  return store_->AppendAudit(action, operator_name, time, details);
}

absl::StatusOr<ChangeCursor> SqliteRowStore::LoadAll(int min_quality, const LoadCallbacks& load) {
  // data_version before the snapshot: a commit by another process between
  // the two only causes one unneeded catch-up.
  ChangeCursor cursor;
  absl::StatusOr<int64_t> version = db_->QueryInt("PRAGMA data_version");
  if (!version.ok()) return version.status();
  cursor.version = *version;
  absl::StatusOr<std::unique_ptr<ReadSnapshot>> snapshot = ReadSnapshot::Begin(db_);
  if (!snapshot.ok()) return snapshot.status();
  {
    absl::StatusOr<SqliteStatement> q = db_->Prepare("SELECT id, status FROM cases");
    if (!q.ok()) return q.status();
    absl::Status s =
        q->ForEachRow([&] { return load.on_case(q->Text(0), q->Text(1) == "withdrawn"); });
    if (!s.ok()) return s;
  }
  {
    absl::StatusOr<int64_t> max_item = CheckedMaxItemId(db_);
    if (!max_item.ok()) return max_item.status();
    cursor.max_item = *max_item;
    if (absl::Status s = load.max_item(*max_item); !s.ok()) return s;
    absl::StatusOr<SqliteStatement> q = db_->Prepare("SELECT id, case_id FROM items");
    if (!q.ok()) return q.status();
    absl::Status s = q->ForEachRow([&] {
      const absl::Span<const uint8_t> text = q->Blob(1);
      return load.on_item(
          q->Int(0), std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
    });
    if (!s.ok()) return s;
  }
  absl::StatusOr<int64_t> max_signal = db_->QueryInt("SELECT coalesce(max(id), 0) FROM signals");
  if (!max_signal.ok()) return max_signal.status();
  cursor.max_signal = *max_signal;
  if (absl::Status s = ForEachIndexedSignal(db_, 0, min_quality, load.on_signal); !s.ok()) {
    return s;
  }
  return cursor;
}

absl::StatusOr<bool> SqliteRowStore::Changed(const ChangeCursor& cursor) {
  // Changes only when another connection committed.
  absl::StatusOr<int64_t> version = db_->QueryInt("PRAGMA data_version");
  if (!version.ok()) return version.status();
  return *version != cursor.version;
}

absl::StatusOr<ChangeCursor> SqliteRowStore::ReadChanges(
    const ChangeCursor& cursor, int min_quality,
    const std::function<absl::Status(const RowChanges&)>& on_rows,
    const std::function<absl::Status(const IndexedRowView&)>& on_signal) {
  RowChanges changes;
  absl::StatusOr<int64_t> version = db_->QueryInt("PRAGMA data_version");
  if (!version.ok()) return version.status();
  changes.next = cursor;
  changes.next.version = *version;
  absl::StatusOr<std::unique_ptr<ReadSnapshot>> snapshot = ReadSnapshot::Begin(db_);
  if (!snapshot.ok()) return snapshot.status();
  {
    // Every case: a withdrawal changes a row, not an id.
    absl::StatusOr<SqliteStatement> q = db_->Prepare("SELECT id, status FROM cases");
    if (!q.ok()) return q.status();
    absl::Status s = q->ForEachRow([&] {
      changes.cases.emplace_back(q->Text(0), q->Text(1) == "withdrawn");
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  {
    absl::StatusOr<SqliteStatement> q =
        db_->Prepare("SELECT id, case_id FROM items WHERE id > ?1 ORDER BY id");
    if (!q.ok()) return q.status();
    q->Bind(1, cursor.max_item);
    absl::Status s = q->ForEachRow([&] {
      const int64_t item = q->Int(0);
      changes.next.max_item = std::max(changes.next.max_item, item);
      changes.items.emplace_back(item, q->Text(1));
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }
  if (absl::Status s = on_rows(changes); !s.ok()) return s;
  absl::StatusOr<int64_t> max_signal = db_->QueryInt("SELECT coalesce(max(id), 0) FROM signals");
  if (!max_signal.ok()) return max_signal.status();
  changes.next.max_signal = *max_signal;
  if (!changes.items.empty()) {
    if (absl::Status s = ForEachIndexedSignal(db_, cursor.max_signal, min_quality, on_signal);
        !s.ok()) {
      return s;
    }
  }
  return changes.next;
}

absl::StatusOr<RowCounts> SqliteRowStore::Counts(int min_quality) {
  RowCounts counts;
  absl::StatusOr<std::unique_ptr<ReadSnapshot>> snapshot = ReadSnapshot::Begin(db_);
  if (!snapshot.ok()) return snapshot.status();
  const std::string quality_min = absl::StrCat(min_quality);
  struct {
    int64_t* out;
    std::string sql;
  } const queries[] = {
      {&counts.cases_open, "SELECT count(*) FROM cases WHERE status = 'open'"},
      {&counts.cases_withdrawn, "SELECT count(*) FROM cases WHERE status = 'withdrawn'"},
      {&counts.items, "SELECT count(*) FROM items"},
      {&counts.video_items, "SELECT count(*) FROM items WHERE media_kind = 'video'"},
      {&counts.pdq_hashes, "SELECT count(*) FROM signals WHERE type = 'pdq'"},
      {&counts.low_quality_hashes,
       "SELECT count(*) FROM signals WHERE type = 'pdq' AND quality < " + quality_min},
      {&counts.embeddings, "SELECT count(*) FROM signals WHERE type = 'embedding'"},
      {&counts.audit_entries, "SELECT count(*) FROM audit_log"},
  };
  for (const auto& q : queries) {
    absl::StatusOr<int64_t> n = db_->QueryInt(q.sql);
    if (!n.ok()) return n.status();
    *q.out = *n;
  }
  absl::StatusOr<int64_t> version = db_->QueryInt("PRAGMA user_version");
  if (!version.ok()) return version.status();
  counts.schema_version = static_cast<int>(*version);
  counts.storage_bytes = FileSize(db_->path()) + FileSize(db_->path() + "-wal");
  return counts;
}

absl::Status SqliteRowStore::ForEachExportRow(
    const std::string& case_id,
    const std::function<void(absl::Span<const uint8_t>, std::optional<int64_t>, const std::string&,
                             const std::string&)>& row) {
  // Two statements rather than "?1 = '' OR ...", so that one case's export
  // uses the items_by_case and signals_by_item indexes instead of a full scan.
  absl::StatusOr<SqliteStatement> q = db_->Prepare(
      case_id.empty()
          ? "SELECT s.hash, s.quality, i.case_id, c.label FROM signals s "
            "JOIN items i ON i.id = s.item_id JOIN cases c ON c.id = i.case_id "
            "WHERE s.type = 'pdq' AND s.frame_time IS NULL AND c.status = 'open' ORDER BY s.id"
          : "SELECT s.hash, s.quality, i.case_id, c.label FROM items i "
            "JOIN signals s ON s.item_id = i.id JOIN cases c ON c.id = i.case_id "
            "WHERE i.case_id = ?1 AND s.type = 'pdq' AND s.frame_time IS NULL AND "
            "c.status = 'open' ORDER BY s.id");
  if (!q.ok()) return q.status();
  if (!case_id.empty()) q->Bind(1, case_id);
  return q->ForEachRow([&] {
    row(q->Blob(0), q->IsNull(1) ? std::nullopt : std::optional<int64_t>(q->Int(1)), q->Text(2),
        q->Text(3));
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> SqliteRowStore::CountOpenVideos(const std::string& case_id) {
  absl::StatusOr<SqliteStatement> q = db_->Prepare(
      "SELECT count(*) FROM items i JOIN cases c ON c.id = i.case_id "
      "WHERE i.media_kind = 'video' AND c.status = 'open' AND (?1 = '' OR i.case_id = ?1)");
  if (!q.ok()) return q.status();
  q->Bind(1, case_id);
  absl::StatusOr<bool> counted = q->Step();
  if (!counted.ok()) return counted.status();
  return q->Int(0);
}

absl::StatusOr<std::optional<VideoItemRow>> SqliteRowStore::FindVideoItem(int64_t item) {
  absl::StatusOr<SqliteStatement> q = db_->Prepare(
      "SELECT i.case_id, i.media_kind, coalesce(i.sample_interval, 0), c.status FROM items i "
      "JOIN cases c ON c.id = i.case_id WHERE i.id = ?1");
  if (!q.ok()) return q.status();
  q->Bind(1, item);
  absl::StatusOr<bool> found = q->Step();
  if (!found.ok()) return found.status();
  if (!*found) return std::nullopt;
  return VideoItemRow{.case_id = q->Text(0),
                      .media_kind = q->Text(1),
                      .sample_interval = q->Double(2),
                      .withdrawn = q->Text(3) == "withdrawn"};
}

absl::Status SqliteRowStore::ForEachFrameRun(int64_t item,
                                             const std::function<void(const FrameRunRow&)>& run) {
  absl::StatusOr<SqliteStatement> q = db_->Prepare(
      "SELECT hash, coalesce(quality, 100), frame_time, coalesce(frame_end, frame_time), "
      "coalesce(frame_samples, 1), coalesce(frame_number, 0) FROM signals WHERE item_id = ?1 AND "
      "type = 'pdq' AND frame_time IS NOT NULL ORDER BY frame_time, id");
  if (!q.ok()) return q.status();
  q->Bind(1, item);
  return q->ForEachRow([&] {
    run({.hash = q->Blob(0),
         .quality = q->Int(1),
         .start = q->Double(2),
         .end = q->Double(3),
         .samples = q->Int(4),
         .frame_number = q->Int(5)});
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<uint8_t>> SqliteRowStore::LocalFeatures(int64_t item) const {
  return features_.Read(item);
}

}  // namespace hashwatch::catalog
