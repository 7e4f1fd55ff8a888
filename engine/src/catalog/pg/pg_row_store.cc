#include "catalog/pg/pg_row_store.h"

#include <poll.h>

#include <mutex>
#include <optional>

#include "absl/strings/str_cat.h"
#include "catalog/case_directory.h"
#include "catalog/catalog_store.h"
#include "catalog/pg/pg_conn.h"
#include "catalog/pg/pg_schema.h"

namespace hashwatch::catalog::pg {
namespace {

// Timestamps as the SQLite catalog writes them (ISO 8601, UTC).
constexpr char kIsoFormat[] = "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'";

std::string IsoText(std::string_view column) {
  return absl::StrCat("to_char(", std::string(column), " AT TIME ZONE 'UTC', ", kIsoFormat, ")");
}

// A bigint[] parameter, as PostgreSQL's array text ("{1,2,3}").
PgParam IdArray(absl::Span<const int64_t> ids) {
  std::string text = "{";
  for (size_t i = 0; i < ids.size(); ++i) absl::StrAppend(&text, i == 0 ? "" : ",", ids[i]);
  text += "}";
  return PgParam::Text(std::move(text));
}

PgParam OptInt(std::optional<int64_t> v) {
  return v.has_value() ? PgParam::Int(*v) : PgParam::Null();
}
PgParam OptDouble(std::optional<double> v) {
  return v.has_value() ? PgParam::Double(*v) : PgParam::Null();
}

// The indexed signals' columns (catalog_store.h's kIndexedColumns) of a row.
struct IndexedRowReader {
  std::vector<uint8_t> hash;
  std::string type;
  IndexedRowView Read(const PgResult& r, int i) {
    hash = r.Bytes(i, 2);
    type = r.Text(i, 6);
    return {.signal = r.Int(i, 0),
            .item = r.Int(i, 1),
            .hash = hash,
            .frame_time = r.OptDouble(i, 3),
            .frame_end = r.OptDouble(i, 4),
            .frame_samples = r.OptInt(i, 5),
            .type = type};
  }
};

class PgRowStore : public RowStore {
 public:
  PgRowStore(PgConn conn, std::string uri) : conn_(std::move(conn)), uri_(std::move(uri)) {}

  const std::string& name() const override { return conn_.name(); }

  absl::Status BeginWrite() override {
    if (absl::Status s = conn_.Exec("BEGIN"); !s.ok()) return s;
    in_write_ = true;
    return absl::OkStatus();
  }
  absl::Status Commit() override {
    in_write_ = false;
    return conn_.Exec("COMMIT");
  }
  void Rollback() override {
    in_write_ = false;
    conn_.Exec("ROLLBACK").IgnoreError();
  }

  absl::StatusOr<std::optional<CaseRow>> FindCase(const std::string& id) override {
    absl::StatusOr<PgResult> r = conn_.Query(
        absl::StrCat("SELECT id, label, ", IsoText("created"), ", status, coalesce(",
                     IsoText("withdrawn_at"), ", '') FROM hashwatch.cases WHERE id = $1"),
        {PgParam::Text(id)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::nullopt;
    return CaseRow{r->Text(0, 0), r->Text(0, 1), r->Text(0, 2), r->Text(0, 3) == "withdrawn",
                   r->Text(0, 4)};
  }

  absl::Status CreateCase(const std::string& id, const std::string& label,
                          const std::string& created) override {
    // A case belongs to the centre of the role that creates it.
    absl::StatusOr<PgResult> centre = conn_.Query("SELECT hashwatch.my_centre()");
    if (!centre.ok()) return centre.status();
    if (centre->IsNull(0, 0)) {
      return absl::PermissionDeniedError(
          absl::StrCat(name(), ": this role is no centre's staff, so it cannot create case '", id,
                       "' (the owner runs `hashwatch server add-staff`)"));
    }
    absl::StatusOr<PgResult> r = conn_.Query(
        "INSERT INTO hashwatch.cases (id, label, created) VALUES ($1, $2, $3::timestamptz)",
        {PgParam::Text(id), PgParam::Text(label), PgParam::Text(created)});
    if (r.status().code() == absl::StatusCode::kAlreadyExists) {
      // Another centre's: row-level security hid it from FindCase.
      return absl::AlreadyExistsError(absl::StrCat(
          name(), ": case id '", id, "' is taken by another centre: choose another id"));
    }
    return r.status();
  }

  absl::Status SetCaseLabel(const std::string& id, const std::string& label) override {
    return conn_
        .Query("UPDATE hashwatch.cases SET label = $2 WHERE id = $1",
               {PgParam::Text(id), PgParam::Text(label)})
        .status();
  }

  absl::Status MarkCaseWithdrawn(const std::string& id, const std::string&) override {
    // withdrawn_at is the server's clock (a trigger sets it).
    absl::StatusOr<PgResult> r = conn_.Query(
        "UPDATE hashwatch.cases SET status = 'withdrawn' WHERE id = $1 AND status = 'open'",
        {PgParam::Text(id)});
    if (!r.ok()) return r.status();
    if (r->affected() != 1) {
      return absl::PermissionDeniedError(
          absl::StrCat(name(), ": case '", id, "' cannot be withdrawn by this role"));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<int64_t>> FindItemBySha256(
      const std::string& case_id, absl::Span<const uint8_t> sha256) override {
    if (sha256.empty()) return std::nullopt;
    absl::StatusOr<PgResult> r = conn_.Query(
        "SELECT id FROM hashwatch.items WHERE case_id = $1 AND sha256 = $2 ORDER BY id LIMIT 1",
        {PgParam::Text(case_id), PgParam::Bytes(sha256)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::nullopt;
    return r->Int(0, 0);
  }

  absl::StatusOr<int64_t> InsertItem(const ItemRow& row) override {
    return conn_.QueryInt(
        "INSERT INTO hashwatch.items (case_id, media_kind, sha256, size, enrolled_at, "
        "source_note, duration, sample_interval) VALUES ($1, $2, $3, $4, $5::timestamptz, $6, "
        "$7, $8) RETURNING id",
        {PgParam::Text(row.case_id), PgParam::Text(std::string(row.media_kind)),
         row.sha256.empty() ? PgParam::Null() : PgParam::Bytes(row.sha256), OptInt(row.size),
         PgParam::Text(row.enrolled_at), PgParam::Text(row.source_note), OptDouble(row.duration),
         OptDouble(row.sample_interval)});
  }

  absl::StatusOr<int64_t> InsertSignal(const SignalRow& row) override {
    return conn_.QueryInt(
        "INSERT INTO hashwatch.signals (item_id, type, frame_time, hash, quality, frame_end, "
        "frame_samples, frame_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        {PgParam::Int(row.item), PgParam::Text(std::string(row.type)), OptDouble(row.frame_time),
         PgParam::Bytes(row.hash), OptInt(row.quality), OptDouble(row.frame_end),
         OptInt(row.frame_samples), OptInt(row.frame_number)});
  }

  absl::StatusOr<std::vector<int64_t>> ItemsOfCase(const std::string& case_id) override {
    return Ids("SELECT id FROM hashwatch.items WHERE case_id = $1 ORDER BY id",
               {PgParam::Text(case_id)});
  }

  absl::StatusOr<std::vector<int64_t>> FrameSignalsOfItems(
      absl::Span<const int64_t> items) override {
    return Ids(
        "SELECT id FROM hashwatch.signals WHERE item_id = ANY($1::bigint[]) AND frame_time IS "
        "NOT NULL ORDER BY id",
        {IdArray(items)});
  }

  absl::Status AppendAudit(std::string_view action, const std::string& operator_name,
                           const std::string& time, const std::string& details) override {
    return conn_
        .Query(
            "INSERT INTO hashwatch.audit_log (at, operator, action, details) VALUES "
            "($1::timestamptz, $2, $3, $4::jsonb)",
            {PgParam::Text(time), PgParam::Text(operator_name), PgParam::Text(std::string(action)),
             PgParam::Text(details)})
        .status();
  }

  absl::StatusOr<ChangeCursor> LoadAll(int min_quality, const LoadCallbacks& load) override {
    ReadSnapshot snapshot(conn_);
    if (!snapshot.status.ok()) return snapshot.status;
    ChangeCursor cursor;
    absl::StatusOr<int64_t> seq =
        conn_.QueryInt("SELECT coalesce(max(seq), 0) FROM hashwatch.changes");
    if (!seq.ok()) return seq.status();
    cursor.version = *seq;
    absl::Status s = conn_.ForEachRow(
        "SELECT id, status FROM hashwatch.cases", {}, [&](const PgResult& r, int i) {
          return load.on_case(r.Text(i, 0), r.Text(i, 1) == "withdrawn");
        });
    if (!s.ok()) return s;
    absl::StatusOr<int64_t> max_item =
        conn_.QueryInt("SELECT coalesce(max(id), 0) FROM hashwatch.items");
    if (!max_item.ok()) return max_item.status();
    if (*max_item > CaseDirectory::kMaxItemId) {
      return absl::ResourceExhaustedError(
          absl::StrCat(name(), ": item id ", *max_item, " is beyond what the index can hold"));
    }
    cursor.max_item = *max_item;
    if (s = load.max_item(*max_item); !s.ok()) return s;
    s = conn_.ForEachRow("SELECT id, case_id FROM hashwatch.items", {},
                         [&](const PgResult& r, int i) {
                           const std::string case_id = r.Text(i, 1);
                           return load.on_item(r.Int(i, 0), case_id);
                         });
    if (!s.ok()) return s;
    IndexedRowReader reader;
    s = conn_.ForEachRow(absl::StrCat("SELECT ", kIndexedColumns, " FROM hashwatch.signals WHERE ",
                                      kIndexedTypes, " AND (quality IS NULL OR quality >= $1)"),
                         {PgParam::Int(min_quality)}, [&](const PgResult& r, int i) {
                           return load.on_signal(reader.Read(r, i));
                         });
    if (!s.ok()) return s;
    return cursor;
  }

  absl::StatusOr<bool> Changed(const ChangeCursor& cursor) override {
    // After a reconnect the cursor still holds: the catch-up starts from it.
    absl::StatusOr<PgResult> seq =
        conn_.QueryRead("SELECT coalesce(max(seq), 0) FROM hashwatch.changes");
    if (!seq.ok()) return seq.status();
    return seq->Int(0, 0) != cursor.version;
  }

  absl::StatusOr<ChangeCursor> ReadChanges(
      const ChangeCursor& cursor, int min_quality,
      const std::function<absl::Status(const RowChanges&)>& on_rows,
      const std::function<absl::Status(const IndexedRowView&)>& on_signal) override {
    ReadSnapshot snapshot(conn_);
    if (!snapshot.status.ok()) return snapshot.status;
    RowChanges changes;
    changes.next = cursor;
    absl::StatusOr<int64_t> seq =
        conn_.QueryInt("SELECT coalesce(max(seq), 0) FROM hashwatch.changes");
    if (!seq.ok()) return seq.status();
    changes.next.version = *seq;
    const PgParam after = PgParam::Int(cursor.version), upto = PgParam::Int(*seq);
    // The cases named by the changes, as this role sees them (row-level
    // security leaves out other centres' for staff).
    absl::Status s = conn_.ForEachRow(
        "SELECT id, status FROM hashwatch.cases WHERE id IN (SELECT case_id FROM "
        "hashwatch.changes WHERE seq > $1 AND seq <= $2)",
        {after, upto}, [&](const PgResult& r, int i) {
          changes.cases.emplace_back(r.Text(i, 0), r.Text(i, 1) == "withdrawn");
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    s = conn_.ForEachRow(
        "SELECT i.id, i.case_id FROM hashwatch.changes ch JOIN hashwatch.items i ON i.id = "
        "ch.item_id WHERE ch.seq > $1 AND ch.seq <= $2 AND ch.kind = 'item' ORDER BY ch.seq",
        {after, upto}, [&](const PgResult& r, int i) {
          const int64_t item = r.Int(i, 0);
          changes.next.max_item = std::max(changes.next.max_item, item);
          changes.items.emplace_back(item, r.Text(i, 1));
          return absl::OkStatus();
        });
    if (!s.ok()) return s;
    if (s = on_rows(changes); !s.ok()) return s;
    if (!changes.items.empty()) {
      IndexedRowReader reader;
      s = conn_.ForEachRow(
          absl::StrCat("SELECT ", kIndexedColumns,
                       " FROM hashwatch.signals WHERE item_id IN (SELECT item_id FROM "
                       "hashwatch.changes WHERE seq > $1 AND seq <= $2 AND kind = 'item') AND ",
                       kIndexedTypes, " AND (quality IS NULL OR quality >= $3)"),
          {after, upto, PgParam::Int(min_quality)},
          [&](const PgResult& r, int i) { return on_signal(reader.Read(r, i)); });
      if (!s.ok()) return s;
    }
    return changes.next;
  }

  absl::StatusOr<RowCounts> Counts(int min_quality) override {
    ReadSnapshot snapshot(conn_);
    if (!snapshot.status.ok()) return snapshot.status;
    RowCounts counts;
    const std::string quality_min = absl::StrCat(min_quality);
    struct {
      int64_t* out;
      std::string sql;
    } const queries[] = {
        {&counts.cases_open, "SELECT count(*) FROM hashwatch.cases WHERE status = 'open'"},
        {&counts.cases_withdrawn,
         "SELECT count(*) FROM hashwatch.cases WHERE status = 'withdrawn'"},
        {&counts.items, "SELECT count(*) FROM hashwatch.items"},
        {&counts.video_items, "SELECT count(*) FROM hashwatch.items WHERE media_kind = 'video'"},
        {&counts.pdq_hashes, "SELECT count(*) FROM hashwatch.signals WHERE type = 'pdq'"},
        {&counts.low_quality_hashes,
         "SELECT count(*) FROM hashwatch.signals WHERE type = 'pdq' AND quality < " + quality_min},
        {&counts.embeddings, "SELECT count(*) FROM hashwatch.signals WHERE type = 'embedding'"},
        {&counts.storage_bytes,
         "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN "
         "pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'hashwatch' AND c.relkind "
         "= 'r'"},
    };
    for (const auto& q : queries) {
      absl::StatusOr<int64_t> n = conn_.QueryInt(q.sql);
      if (!n.ok()) return n.status();
      *q.out = *n;
    }
    // A monitor may not read the audit log (a centre's staff see their
    // centre's entries): -1 says "not visible to this role".
    absl::StatusOr<int64_t> audit_visible =
        conn_.QueryInt("SELECT has_table_privilege('hashwatch.audit_log', 'SELECT')::int");
    if (!audit_visible.ok()) return audit_visible.status();
    if (*audit_visible != 0) {
      absl::StatusOr<int64_t> n = conn_.QueryInt("SELECT count(*) FROM hashwatch.audit_log");
      if (!n.ok()) return n.status();
      counts.audit_entries = *n;
    } else {
      counts.audit_entries = -1;
    }
    absl::StatusOr<int> version = InstalledServerSchemaVersion(conn_);
    if (!version.ok()) return version.status();
    counts.schema_version = *version;
    return counts;
  }

  absl::Status ForEachExportRow(
      const std::string& case_id,
      const std::function<void(absl::Span<const uint8_t>, std::optional<int64_t>,
                               const std::string&, const std::string&)>& row) override {
    ReadSnapshot snapshot(conn_, in_write_);
    if (!snapshot.status.ok()) return snapshot.status;
    return conn_.ForEachRow(
        "SELECT s.hash, s.quality, i.case_id, c.label FROM hashwatch.signals s "
        "JOIN hashwatch.items i ON i.id = s.item_id JOIN hashwatch.cases c ON c.id = i.case_id "
        "WHERE s.type = 'pdq' AND s.frame_time IS NULL AND c.status = 'open' AND ($1 = '' OR "
        "i.case_id = $1) ORDER BY s.id",
        {PgParam::Text(case_id)}, [&](const PgResult& r, int i) {
          const std::vector<uint8_t> hash = r.Bytes(i, 0);
          row(hash, r.OptInt(i, 1), r.Text(i, 2), r.Text(i, 3));
          return absl::OkStatus();
        });
  }

  absl::StatusOr<int64_t> CountOpenVideos(const std::string& case_id) override {
    return conn_.QueryInt(
        "SELECT count(*) FROM hashwatch.items i JOIN hashwatch.cases c ON c.id = i.case_id "
        "WHERE i.media_kind = 'video' AND c.status = 'open' AND ($1 = '' OR i.case_id = $1)",
        {PgParam::Text(case_id)});
  }

  absl::StatusOr<std::optional<VideoItemRow>> FindVideoItem(int64_t item) override {
    absl::StatusOr<PgResult> r = conn_.Query(
        "SELECT i.case_id, i.media_kind, coalesce(i.sample_interval, 0), c.status FROM "
        "hashwatch.items i JOIN hashwatch.cases c ON c.id = i.case_id WHERE i.id = $1",
        {PgParam::Int(item)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::nullopt;
    return VideoItemRow{.case_id = r->Text(0, 0),
                        .media_kind = r->Text(0, 1),
                        .sample_interval = r->Double(0, 2),
                        .withdrawn = r->Text(0, 3) == "withdrawn"};
  }

  absl::Status ForEachFrameRun(int64_t item,
                               const std::function<void(const FrameRunRow&)>& run) override {
    ReadSnapshot snapshot(conn_, in_write_);
    if (!snapshot.status.ok()) return snapshot.status;
    return conn_.ForEachRow(
        "SELECT hash, coalesce(quality, 100), frame_time, coalesce(frame_end, frame_time), "
        "coalesce(frame_samples, 1), coalesce(frame_number, 0) FROM hashwatch.signals WHERE "
        "item_id = $1 AND type = 'pdq' AND frame_time IS NOT NULL ORDER BY frame_time, id",
        {PgParam::Int(item)}, [&](const PgResult& r, int i) {
          const std::vector<uint8_t> hash = r.Bytes(i, 0);
          run({.hash = hash,
               .quality = r.Int(i, 1),
               .start = r.Double(i, 2),
               .end = r.Double(i, 3),
               .samples = r.Int(i, 4),
               .frame_number = r.Int(i, 5)});
          return absl::OkStatus();
        });
  }

  bool CanWaitForChanges() const override { return true; }

  absl::StatusOr<bool> WaitForChanges(double seconds) const override {
    std::lock_guard<std::mutex> lock(listen_mu_);
    if (!listen_conn_.has_value()) {
      absl::StatusOr<PgConn> c = PgConn::Connect(uri_);
      if (!c.ok()) return c.status();
      listen_conn_.emplace(*std::move(c));
    }
    PgConn& conn = *listen_conn_;
    bool reconnected = false;
    if (listen_generation_ != conn.generation() || !conn.ok()) {
      // First time, or the server restarted: listen (again), and report a
      // change, so the caller catches up with what it may have missed.
      if (absl::Status s = conn.Exec("LISTEN hashwatch_changes"); !s.ok()) return s;
      reconnected = listen_generation_ != -1;
      listen_generation_ = conn.generation();
    }
    absl::StatusOr<std::vector<std::string>> got = conn.TakeNotifications();
    if (!got.ok()) return got.status();
    if (!got->empty() || reconnected) return true;
    pollfd p{.fd = conn.socket(), .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(seconds * 1000)) <= 0) return false;
    got = conn.TakeNotifications();
    if (!got.ok()) return got.status();
    return !got->empty();
  }

  absl::StatusOr<std::vector<uint8_t>> LocalFeatures(int64_t item) const override {
    std::lock_guard<std::mutex> lock(features_mu_);
    if (!features_conn_.has_value() || !features_conn_->ok()) {
      absl::StatusOr<PgConn> c = PgConn::Connect(uri_);
      if (!c.ok()) return c.status();
      features_conn_.emplace(*std::move(c));
    }
    absl::StatusOr<PgResult> r = features_conn_->QueryRead(
        absl::StrCat("SELECT hash FROM hashwatch.signals WHERE item_id = $1 AND type = '",
                     kLocalFeaturesType, "' LIMIT 1"),
        {PgParam::Int(item)});
    if (!r.ok()) return r.status();
    if (r->rows() == 0) return std::vector<uint8_t>();
    return r->Bytes(0, 0);
  }

 private:
  // A read-only snapshot for the reads that must agree with each other;
  // nothing when already inside a write transaction.
  struct ReadSnapshot {
    explicit ReadSnapshot(PgConn& c, bool nested = false) : conn(c), active(!nested) {
      if (active) {
        status = conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        active = status.ok();
      }
    }
    ~ReadSnapshot() {
      if (active) conn.Exec("COMMIT").IgnoreError();
    }
    PgConn& conn;
    bool active;
    absl::Status status = absl::OkStatus();
  };

  absl::StatusOr<std::vector<int64_t>> Ids(std::string_view sql,
                                           const std::vector<PgParam>& params) {
    absl::StatusOr<PgResult> r = conn_.Query(sql, params);
    if (!r.ok()) return r.status();
    std::vector<int64_t> ids;
    ids.reserve(r->rows());
    for (int i = 0; i < r->rows(); ++i) ids.push_back(r->Int(i, 0));
    return ids;
  }

  PgConn conn_;
  const std::string uri_;
  bool in_write_ = false;
  mutable std::mutex features_mu_;
  mutable std::optional<PgConn> features_conn_;
  mutable std::mutex listen_mu_;
  mutable std::optional<PgConn> listen_conn_;  // LISTEN hashwatch_changes
  mutable int listen_generation_ = -1;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RowStore>> OpenPgRowStore(const std::string& uri) {
  absl::StatusOr<PgConn> conn = PgConn::Connect(uri);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = CheckServerSchema(*conn); !s.ok()) return s;
  return std::unique_ptr<RowStore>(new PgRowStore(*std::move(conn), uri));
}

}  // namespace hashwatch::catalog::pg
