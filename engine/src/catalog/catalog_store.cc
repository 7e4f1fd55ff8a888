#include "catalog/catalog_store.h"

namespace hashwatch::catalog {
namespace {

// Runs `stmt` once and resets it, whatever happens.
absl::Status RunOnce(SqliteStatement& stmt) {
  absl::Status s = stmt.Run();
  stmt.Reset();
  return s;
}

// Runs the bound `stmt`, appends its first column's integers to *out and
// resets it, whatever happens.
absl::Status AppendFirstColumn(SqliteStatement& stmt, std::vector<int64_t>* out) {
  absl::Status s = stmt.ForEachRow([&] {
    out->push_back(stmt.Int(0));
    return absl::OkStatus();
  });
  stmt.Reset();
  return s;
}

}  // namespace

absl::StatusOr<CatalogStore> CatalogStore::Prepare(SqliteDb* db) {
  CatalogStore store(db);
  struct {
    std::optional<SqliteStatement>* slot;
    std::string_view sql;
  } const statements[] = {
      {&store.find_case_,
       "SELECT id, label, created, status, coalesce(withdrawn_at, '') FROM cases WHERE id = ?1"},
      {&store.create_case_,
       "INSERT INTO cases (id, label, created, status) VALUES (?1, ?2, ?3, 'open')"},
      {&store.set_label_, "UPDATE cases SET label = ?2 WHERE id = ?1"},
      {&store.withdraw_case_,
       "UPDATE cases SET status = 'withdrawn', withdrawn_at = ?2 WHERE id = ?1"},
      {&store.find_item_by_sha_,
       "SELECT id FROM items WHERE sha256 = ?2 AND case_id = ?1 ORDER BY id LIMIT 1"},
      {&store.insert_item_,
       "INSERT INTO items (case_id, media_kind, sha256, size, enrolled_at, source_note, duration, "
       "sample_interval) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&store.insert_signal_,
       "INSERT INTO signals (item_id, type, frame_time, hash, quality, frame_end, frame_samples, "
       "frame_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"},
      {&store.items_of_case_, "SELECT id FROM items WHERE case_id = ?1 ORDER BY id"},
      {&store.frames_of_item_,
       "SELECT id FROM signals WHERE item_id = ?1 AND frame_time IS NOT NULL ORDER BY id"},
      {&store.append_audit_,
       "INSERT INTO audit_log (action, operator, time, details) VALUES (?1, ?2, ?3, ?4)"},
  };
  for (const auto& s : statements) {
    absl::StatusOr<SqliteStatement> stmt = db->Prepare(s.sql);
    if (!stmt.ok()) return stmt.status();
    s.slot->emplace(*std::move(stmt));
  }
  return store;
}

absl::StatusOr<std::optional<CaseRow>> CatalogStore::FindCase(const std::string& id) {
  SqliteStatement& q = *find_case_;
  q.Bind(1, id);
  absl::StatusOr<bool> row = q.Step();
  std::optional<CaseRow> found;
  if (row.ok() && *row) {
    found = CaseRow{q.Text(0), q.Text(1), q.Text(2), q.Text(3) == "withdrawn", q.Text(4)};
  }
  q.Reset();
  if (!row.ok()) return row.status();
  return found;
}

absl::Status CatalogStore::CreateCase(const std::string& id, const std::string& label,
                                      const std::string& created) {
  create_case_->Bind(1, id).Bind(2, label).Bind(3, created);
  return RunOnce(*create_case_);
}

absl::Status CatalogStore::SetCaseLabel(const std::string& id, const std::string& label) {
  set_label_->Bind(1, id).Bind(2, label);
  return RunOnce(*set_label_);
}

absl::Status CatalogStore::MarkCaseWithdrawn(const std::string& id, const std::string& when) {
  withdraw_case_->Bind(1, id).Bind(2, when);
  return RunOnce(*withdraw_case_);
}

absl::StatusOr<std::optional<int64_t>> CatalogStore::FindItemBySha256(
    const std::string& case_id, absl::Span<const uint8_t> sha256) {
  SqliteStatement& q = *find_item_by_sha_;
  q.Bind(1, case_id).BindBlob(2, sha256);
  absl::StatusOr<bool> row = q.Step();
  std::optional<int64_t> found;
  if (row.ok() && *row) found = q.Int(0);
  q.Reset();
  if (!row.ok()) return row.status();
  return found;
}

absl::StatusOr<int64_t> CatalogStore::InsertItem(const ItemRow& row) {
  SqliteStatement& q = *insert_item_;
  q.Bind(1, row.case_id).Bind(2, row.media_kind);
  if (row.sha256.empty()) {
    q.BindNull(3);
  } else {
    q.BindBlob(3, row.sha256);
  }
  q.Bind(4, row.size).Bind(5, row.enrolled_at).Bind(6, row.source_note);
  q.Bind(7, row.duration).Bind(8, row.sample_interval);
  if (absl::Status s = RunOnce(q); !s.ok()) return s;
  return db_->last_insert_rowid();
}

absl::StatusOr<int64_t> CatalogStore::InsertSignal(const SignalRow& row) {
  insert_signal_->Bind(1, row.item)
      .Bind(2, row.type)
      .Bind(3, row.frame_time)
      .BindBlob(4, row.hash)
      .Bind(5, row.quality)
      .Bind(6, row.frame_end)
      .Bind(7, row.frame_samples)
      .Bind(8, row.frame_number);
  if (absl::Status s = RunOnce(*insert_signal_); !s.ok()) return s;
  return db_->last_insert_rowid();
}

absl::StatusOr<std::vector<int64_t>> CatalogStore::FrameSignalsOfItems(
    absl::Span<const int64_t> items) {
  std::vector<int64_t> ids;
  for (int64_t item : items) {
    frames_of_item_->Bind(1, item);
    if (absl::Status s = AppendFirstColumn(*frames_of_item_, &ids); !s.ok()) return s;
  }
  return ids;
}

absl::StatusOr<std::vector<int64_t>> CatalogStore::ItemsOfCase(const std::string& case_id) {
  std::vector<int64_t> items;
  items_of_case_->Bind(1, case_id);
  if (absl::Status s = AppendFirstColumn(*items_of_case_, &items); !s.ok()) return s;
  return items;
}

absl::Status CatalogStore::AppendAudit(std::string_view action, const std::string& operator_name,
                                       const std::string& time, const std::string& details) {
  append_audit_->Bind(1, action).Bind(2, operator_name).Bind(3, time).Bind(4, details);
  return RunOnce(*append_audit_);
}

}  // namespace hashwatch::catalog
