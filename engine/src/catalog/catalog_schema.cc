#include "catalog/catalog_schema.h"

#include "absl/strings/str_cat.h"

namespace hashwatch::catalog {
namespace {

// Version 1. Notes on the choices:
// - STRICT tables: a wrongly typed value is an error, not silently stored.
// - cases.id is the case reference staff use (text, as given).
// - items never hold pixels: a media kind, the SHA-256 of the submitted file
//   (to recognise the same file enrolled twice) and a source note.
// - signals.hash is the raw hash (32 bytes for PDQ), read back with one
//   sequential scan when the catalog opens; quality NULL means unknown (hash
//   lists without quality), which is trusted like quality 100.
// - the audit log is append-only, enforced by triggers.
constexpr std::string_view kVersion1 = R"sql(
CREATE TABLE cases (
  id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 200),
  label TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'withdrawn')),
  withdrawn_at TEXT
) STRICT;

CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases (id),
  media_kind TEXT NOT NULL CHECK (media_kind IN ('image', 'video', 'hash')),
  sha256 BLOB CHECK (sha256 IS NULL OR length(sha256) = 32),
  size INTEGER CHECK (size IS NULL OR size >= 0),
  enrolled_at TEXT NOT NULL,
  source_note TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX items_by_case ON items (case_id);
CREATE INDEX items_by_sha256 ON items (sha256) WHERE sha256 IS NOT NULL;

CREATE TABLE signals (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items (id),
  type TEXT NOT NULL,
  frame_time REAL,
  hash BLOB NOT NULL,
  quality INTEGER CHECK (quality IS NULL OR quality BETWEEN 0 AND 100)
) STRICT;
CREATE INDEX signals_by_item ON signals (item_id);

CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  action TEXT NOT NULL CHECK (action IN ('enroll', 'withdraw', 'scan', 'import', 'export')),
  operator TEXT NOT NULL,
  time TEXT NOT NULL,
  details TEXT NOT NULL CHECK (json_valid(details))
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
)sql";

// Version 2: video. A video item keeps its duration and the interval its
// frames were sampled at; a frame signal (frame_time set) is a run of
// near-identical samples from frame_time to frame_end, standing for
// frame_samples sampled moments, first shown as decoded frame frame_number.
// Rows of version 1 (vPDQ imports) read as single-sample frames.
constexpr std::string_view kVersion2 = R"sql(
ALTER TABLE items ADD COLUMN duration REAL CHECK (duration IS NULL OR duration >= 0);
ALTER TABLE items ADD COLUMN sample_interval REAL CHECK (sample_interval IS NULL OR sample_interval > 0);
ALTER TABLE signals ADD COLUMN frame_end REAL;
ALTER TABLE signals ADD COLUMN frame_samples INTEGER CHECK (frame_samples IS NULL OR frame_samples >= 1);
ALTER TABLE signals ADD COLUMN frame_number INTEGER;
)sql";

constexpr Migration kMigrations[] = {
    {1, kVersion1},
    {2, kVersion2},
};

}  // namespace

absl::Span<const Migration> Migrations() {
  return kMigrations;
}

int CurrentSchemaVersion() {
  return Migrations().back().version;
}

namespace {

// A failed first read, said so that a person can act on it. SqliteDb maps
// SQLITE_NOTADB to FailedPrecondition and SQLITE_CORRUPT to DataLoss.
absl::Status ExplainUnreadable(const std::string& path, const absl::Status& status) {
  if (absl::IsFailedPrecondition(status)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": not a hashwatch catalog: the file is not an SQLite database; give the "
                     "path of a catalog, or a new file name to create one"));
  }
  if (absl::IsDataLoss(status)) {
    return absl::DataLossError(absl::StrCat(
        path,
        ": the catalog file is damaged (SQLite: database disk image is malformed); restore it "
        "from a backup. 'hashwatch verify --db ",
        path, "' says what is wrong"));
  }
  return status;
}

}  // namespace

absl::StatusOr<int64_t> CheckCatalogIdentity(SqliteDb* db) {
  // Three reads of the header and the schema table; nothing is written.
  absl::StatusOr<int64_t> app_id = db->QueryInt("PRAGMA application_id");
  if (!app_id.ok()) return ExplainUnreadable(db->path(), app_id.status());
  absl::StatusOr<int64_t> version = db->QueryInt("PRAGMA user_version");
  if (!version.ok()) return ExplainUnreadable(db->path(), version.status());
  absl::StatusOr<int64_t> objects = db->QueryInt("SELECT count(*) FROM sqlite_schema");
  if (!objects.ok()) return ExplainUnreadable(db->path(), objects.status());
  if (*app_id != kCatalogApplicationId && (*version != 0 || *objects != 0)) {
    return absl::FailedPreconditionError(absl::StrCat(
        db->path(), ": this SQLite file is not a hashwatch catalog (application_id ", *app_id,
        ", not hashwatch's; it holds another application's tables); give the path of a catalog, "
        "or a new file name to create one"));
  }
  if (*version > CurrentSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat(db->path(), ": catalog schema version ", *version,
                     " is newer than this hashwatch understands (", CurrentSchemaVersion(),
                     "); use a newer hashwatch"));
  }
  if (*app_id == kCatalogApplicationId && *version < 1 && *objects != 0) {
    // Migrations set the id and the version in one transaction.
    return absl::FailedPreconditionError(
        absl::StrCat(db->path(), ": a hashwatch catalog without a schema version (user_version ",
                     *version, "); it is not one hashwatch wrote. Restore it from a backup"));
  }
  return *version;
}

absl::Status MigrateSchema(SqliteDb* db) {
  // The common case, an up-to-date catalog, takes no write lock.
  absl::StatusOr<int64_t> version = CheckCatalogIdentity(db);
  if (!version.ok()) return version.status();
  for (const Migration& m : Migrations()) {
    if (*version >= m.version) continue;
    // Re-read the version inside the write transaction: another process may
    // be opening (and migrating) the same file at the same moment.
    absl::StatusOr<SqliteTransaction> txn = SqliteTransaction::Begin(db);
    if (!txn.ok()) return txn.status();
    version = CheckCatalogIdentity(db);
    if (!version.ok()) return version.status();
    if (*version >= m.version) continue;
    if (absl::Status s = db->Exec(m.sql); !s.ok()) return s;
    if (absl::Status s = db->Exec(absl::StrCat("PRAGMA application_id = ", kCatalogApplicationId,
                                               "; PRAGMA user_version = ", m.version));
        !s.ok()) {
      return s;
    }
    if (absl::Status s = txn->Commit(); !s.ok()) return s;
    version = m.version;
  }
  return absl::OkStatus();
}

}  // namespace hashwatch::catalog
