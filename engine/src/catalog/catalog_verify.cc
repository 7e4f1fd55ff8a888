// VerifyCatalog (hashwatch/catalog.h): checks a catalog file without
// changing it. This file: the file itself, SQLite's own checks, the schema,
// and the order of it all; catalog_verify_rows.cc checks the rows against
// the index.
#include "catalog/catalog_verify.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "catalog/catalog_loader.h"
#include "catalog/catalog_schema.h"
#include "catalog/sqlite_row_store.h"
#include "hashwatch/embedding.h"

namespace hashwatch {
namespace catalog {

void ProblemList::Add(std::string problem) {
  ++found_;
  if (listed_.size() < kListed) listed_.push_back(std::move(problem));
}

void ProblemList::MoveTo(VerifyReport* report) {
  report->problems = std::move(listed_);
  report->problems_found = found_;
  report->notes = std::move(notes_);
  report->ok = found_ == 0;
  listed_.clear();
  notes_.clear();
  found_ = 0;
}

namespace {

// The file itself, before SQLite reads it: what Catalog::Open requires.
absl::Status CheckFile(const std::string& path, ProblemList* problems) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat(path, ": no catalog here (verify never creates one)"));
    }
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (S_ISLNK(st.st_mode)) {
    problems->Add("the path is a symbolic link; hashwatch opens a catalog only by its real path");
    if (::stat(path.c_str(), &st) != 0) {
      return absl::NotFoundError(
          absl::StrCat(path, ": a symbolic link to nothing usable: ", std::strerror(errno)));
    }
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  if (st.st_uid != ::geteuid()) {
    problems->Add(absl::StrCat("the file belongs to user id ", st.st_uid, ", not to this user (",
                               ::geteuid(), ")"));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    problems->Add(absl::StrFormat(
        "the file is open to other users (mode %04o); make it owner-only: chmod 600 %s",
        st.st_mode & 07777, path));
  }
  return absl::OkStatus();
}

void CheckIntegrity(SqliteDb* db, ProblemList* problems) {
  absl::StatusOr<SqliteStatement> q =
      db->Prepare(absl::StrCat("PRAGMA integrity_check(", ProblemList::kListed, ")"));
  absl::Status s = q.ok() ? q->ForEachRow([&] {
    const std::string line = q->Text(0);
    if (line != "ok") problems->Add(absl::StrCat("SQLite integrity check: ", line));
    return absl::OkStatus();
  })
                          : q.status();
  if (!s.ok()) {
    problems->Add(absl::StrCat("SQLite's integrity check could not finish: ", s.message()));
  }
}

void CheckForeignKeys(SqliteDb* db, ProblemList* problems) {
  absl::StatusOr<SqliteStatement> q = db->Prepare("PRAGMA foreign_key_check");
  absl::Status s = q.ok() ? q->ForEachRow([&] {
    const std::string table = q->Text(0);
    const int64_t row = q->Int(1);
    const std::string parent = q->Text(2);
    if (table == "items") {
      problems->Add(absl::StrCat("item ", row, " belongs to a case the cases table does not hold"));
    } else if (table == "signals") {
      problems->Add(
          absl::StrCat("signal ", row, " belongs to an item the items table does not hold"));
    } else {
      problems->Add(
          absl::StrCat(table, " row ", row, " refers to a row ", parent, " does not hold"));
    }
    return absl::OkStatus();
  })
                          : q.status();
  if (!s.ok()) problems->Add(absl::StrCat("SQLite's foreign key check failed: ", s.message()));
}

// SQL text with each run of white space made one space.
std::string Normalized(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// (type, name) -> SQL of the schema objects hashwatch makes (SQLite's own,
// "sqlite_...", left out).
absl::StatusOr<std::map<std::pair<std::string, std::string>, std::string>> SchemaObjects(
    SqliteDb* db) {
  std::map<std::pair<std::string, std::string>, std::string> objects;
  absl::StatusOr<SqliteStatement> q = db->Prepare(
      "SELECT type, name, coalesce(sql, '') FROM sqlite_schema "
      "WHERE substr(name, 1, 7) <> 'sqlite_'");
  if (!q.ok()) return q.status();
  absl::Status s = q->ForEachRow([&] {
    objects[{q->Text(0), q->Text(1)}] = Normalized(q->Text(2));
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return objects;
}

// The schema must be what the migrations up to `version` make: compared
// with a scratch in-memory database they are applied to.
void CheckSchema(SqliteDb* db, int64_t version, ProblemList* problems) {
  absl::StatusOr<SqliteDb> reference = SqliteDb::Open(":memory:", /*create=*/true);
  if (!reference.ok()) {
    problems->Add(absl::StrCat("the schema could not be checked: ", reference.status().message()));
    return;
  }
  for (const Migration& m : Migrations()) {
    if (m.version > version) break;
    if (absl::Status s = reference->Exec(m.sql); !s.ok()) {
      problems->Add(absl::StrCat("the schema could not be checked: ", s.message()));
      return;
    }
  }
  auto expected = SchemaObjects(&*reference);
  auto actual = SchemaObjects(db);
  if (!expected.ok() || !actual.ok()) {
    problems->Add(absl::StrCat("the schema could not be read: ",
                               (expected.ok() ? actual.status() : expected.status()).message()));
    return;
  }
  for (const auto& [key, sql] : *expected) {
    const auto& [type, name] = key;
    const std::string why =
        name.rfind("audit_log_no_", 0) == 0 ? " (the audit log's append-only rule)" : "";
    auto it = actual->find(key);
    if (it == actual->end()) {
      problems->Add(absl::StrCat("the catalog has no ", type, " ", name, why));
    } else if (it->second != sql) {
      problems->Add(absl::StrCat(type, " ", name, why, " is not as schema version ", version,
                                 " defines it: ", it->second));
    }
  }
  for (const auto& [key, sql] : *actual) {
    if (expected->count(key) == 0) {
      problems->Add(
          absl::StrCat(key.first, " ", key.second, " is not part of hashwatch's schema: ", sql));
    }
  }
}

}  // namespace
}  // namespace catalog

absl::StatusOr<VerifyReport> VerifyCatalog(const std::string& path, const CatalogOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("no catalog path given");
  if (options.index_min_quality < 0 || options.index_min_quality > 101) {
    return absl::InvalidArgumentError("index_min_quality must be 0..101");
  }
  catalog::ProblemList problems;
  VerifyReport report;
  if (absl::Status s = catalog::CheckFile(path, &problems); !s.ok()) return s;
  absl::StatusOr<catalog::SqliteDb> db = catalog::SqliteDb::OpenReadOnly(path);
  if (!db.ok()) return db.status();
  if (absl::Status s = db->Exec(absl::StrCat("PRAGMA busy_timeout = ", options.busy_timeout_ms));
      !s.ok()) {
    return s;
  }

  absl::StatusOr<int64_t> version = catalog::CheckCatalogIdentity(&*db);
  if (!version.ok()) {
    if (!absl::IsDataLoss(version.status())) return version.status();
    // Header or schema unreadable: a catalog, most likely, but damaged
    // beyond what the other checks could read.
    problems.Add(
        "SQLite cannot read the file's header or schema: it is damaged (database disk image is "
        "malformed). Restore the catalog from a backup");
    problems.MoveTo(&report);
    return report;
  }
  if (*version == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": an empty SQLite database, not a catalog (yet)"));
  }
  report.schema_version = static_cast<int>(*version);
  const int current = catalog::CurrentSchemaVersion();
  if (*version < current) {
    problems.Note(absl::StrCat("schema version ", *version, " is older than this hashwatch's (",
                               current,
                               "); the next command that opens the catalog upgrades it. The "
                               "index check needs version ",
                               current, " and was skipped"));
  }

  // The index as Open builds it, from its own read transaction; the other
  // checks read in one transaction after it. data_version tells whether
  // another process committed in between (then the two saw different rows).
  const uint32_t model = options.embedding == nullptr ? 0 : options.embedding->fingerprint();
  catalog::CaseDirectory directory;
  auto indexes = std::make_unique<catalog::CatalogIndexes>();
  bool built = false;
  std::string load_failure;  // reported after the rows that explain it
  const absl::StatusOr<int64_t> before = db->QueryInt("PRAGMA data_version");
  if (*version == current) {
    catalog::LoadResult loaded;
    std::unique_ptr<catalog::SqliteRowStore> rows = catalog::SqliteRowStore::ForReading(&*db);
    absl::Status s = catalog::LoadCatalog(rows.get(), options.index_min_quality, model, &directory,
                                          indexes.get(), &loaded);
    if (s.ok()) {
      built = true;
    } else {
      load_failure = absl::StrCat("hashwatch cannot open this catalog: building its index failed: ",
                                  s.message());
    }
  }
  if (absl::Status s = db->Exec("BEGIN"); !s.ok()) return s;
  struct EndRead {
    catalog::SqliteDb* db;
    ~EndRead() { db->Exec("COMMIT").IgnoreError(); }
  } end_read{&*db};
  const absl::StatusOr<int64_t> after = db->QueryInt("PRAGMA data_version");
  if (built && (!before.ok() || !after.ok() || *before != *after)) {
    built = false;
    problems.Note(
        "another process wrote to the catalog during the check, so the index check was skipped; "
        "run verify again to include it");
  }

  catalog::CheckIntegrity(&*db, &problems);
  catalog::CheckForeignKeys(&*db, &problems);
  catalog::CheckSchema(&*db, *version, &problems);
  const catalog::BuiltIndex index{.directory = &directory, .indexes = indexes.get()};
  catalog::CheckRows(&*db,
                     {.index_min_quality = options.index_min_quality, .embedding_model = model},
                     built ? &index : nullptr, &problems, &report);
  if (!load_failure.empty()) problems.Add(std::move(load_failure));
  problems.MoveTo(&report);
  return report;
}

}  // namespace hashwatch
