// VerifyCatalog: a sound catalog verifies, a damaged one says what is wrong,
// and neither verification nor a refused Open changes a file.
#include "catalog/catalog_verify.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/catalog_loader.h"
#include "catalog/sqlite_db.h"
#include "catalog/sqlite_row_store.h"
#include "catalog_fixtures.h"
#include "hashwatch/catalog.h"

namespace hashwatch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestdataDir;

constexpr auto kOwnerOnly = fs::perms::owner_read | fs::perms::owner_write;

std::unique_ptr<Catalog> OpenOrDie(const fs::path& path) {
  absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(path.string());
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *std::move(c);
}

// Whether the file still holds exactly `before` (a bool, so that a failure
// does not print kilobytes).
bool SameBytes(const fs::path& path, const std::vector<uint8_t>& before) {
  return testing::ReadFileBytes(path) == before;
}

VerifyReport VerifyOrDie(const fs::path& path) {
  absl::StatusOr<VerifyReport> r = VerifyCatalog(path.string());
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return *std::move(r);
}

std::string AllProblems(const VerifyReport& r) {
  std::string all;
  for (const std::string& p : r.problems) all += p + "\n";
  return all;
}

// A CSV list of `n` random hashes into `case_id`, every `low`-th of quality
// 10 (stored, never indexed).
void ImportRandom(Catalog& catalog, const std::string& case_id, int n, int low, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string csv = "pdq_hex,quality,case,label\n";
  for (int i = 0; i < n; ++i) {
    csv += testing::RandomPdqHex(rng) + "," + (low > 0 && i % low == 0 ? "10" : "90") + "," +
           case_id + ",list\n";
  }
  std::istringstream in(csv);
  absl::StatusOr<ImportResult> r = catalog.ImportHashes(
      {.case_id = "", .label = "", .source_name = "list.csv", .operator_name = "tester"}, in);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
}

// A closed catalog with photos (PDQ, stored views, local features), imported
// hashes of which some are of low quality, and a withdrawn case.
void MakeCatalog(const fs::path& db) {
  auto catalog = OpenOrDie(db);
  for (const char* name : testing::kKnownPhotos) {
    absl::StatusOr<EnrollResult> r = catalog->EnrollFile(
        {.case_id = "K", .label = "known", .source_note = "", .operator_name = "tester"},
        (TestdataDir() / "known" / name).string());
    INFO(name << ": " << r.status().ToString());
    REQUIRE(r.ok());
  }
  ImportRandom(*catalog, "L", 40, 8, 1);
  ImportRandom(*catalog, "W", 10, 0, 2);
  REQUIRE(catalog->Withdraw("W", "tester").ok());
}

TEST_CASE("A sound catalog verifies, and verifying changes nothing", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  MakeCatalog(db);
  int64_t indexed = 0;
  {
    auto catalog = OpenOrDie(db);
    indexed = catalog->Stats()->indexed_hashes;
  }
  const std::vector<uint8_t> before = testing::ReadFileBytes(db);

  const VerifyReport r = VerifyOrDie(db);
  INFO(AllProblems(r));
  CHECK(r.ok);
  CHECK(r.problems.empty());
  CHECK(r.problems_found == 0);
  CHECK(r.notes.empty());
  CHECK(r.schema_version == 2);
  CHECK(r.cases == 3);
  CHECK(r.items == 5 + 40 + 10);
  CHECK(r.signals == testing::SqlInt(db, "SELECT count(*) FROM signals"));
  CHECK(r.audit_entries == testing::SqlInt(db, "SELECT count(*) FROM audit_log"));
  // The index holds what Open's holds: not the 5 low-quality hashes, not the
  // withdrawn case's 10.
  CHECK(r.indexed_hashes == indexed);
  CHECK(r.indexed_hashes ==
        testing::SqlInt(db,
                        "SELECT count(*) FROM signals JOIN items ON items.id = item_id "
                        "WHERE type IN ('pdq', 'pdq_view') AND case_id <> 'W' "
                        "AND (quality IS NULL OR quality >= 50)"));
  CHECK(testing::SqlInt(db, "SELECT count(*) FROM signals WHERE quality < 50") >= 5);
  CHECK(SameBytes(db, before));

  // Also while the catalog is open for writing elsewhere.
  auto catalog = OpenOrDie(db);
  ImportRandom(*catalog, "L", 3, 0, 3);
  const VerifyReport during = VerifyOrDie(db);
  INFO(AllProblems(during));
  CHECK(during.ok);
  CHECK(during.items == 58);
}

TEST_CASE("A damaged hash is reported with its signal and item", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  MakeCatalog(db);
  const int64_t pdq = testing::SqlInt(db, "SELECT min(id) FROM signals WHERE type = 'pdq'");
  const int64_t pdq_item =
      testing::SqlInt(db, "SELECT item_id FROM signals WHERE id = " + std::to_string(pdq));
  const int64_t orb = testing::SqlInt(db, "SELECT max(id) FROM signals WHERE type = 'orb'");
  const int64_t orb_item =
      testing::SqlInt(db, "SELECT item_id FROM signals WHERE id = " + std::to_string(orb));
  REQUIRE(testing::SqlExec(
      db, "UPDATE signals SET hash = x'0102' WHERE id = " + std::to_string(pdq) +
              "; UPDATE signals SET hash = x'4f524231ffff' WHERE id = " + std::to_string(orb)));
  const std::vector<uint8_t> before = testing::ReadFileBytes(db);

  const VerifyReport r = VerifyOrDie(db);
  const std::string all = AllProblems(r);
  INFO(all);
  CHECK_FALSE(r.ok);
  CHECK_THAT(all, Catch::Contains("signal " + std::to_string(pdq) + " (pdq) of item " +
                                  std::to_string(pdq_item) + ": the hash is 2 bytes long"));
  CHECK_THAT(all, Catch::Contains("signal " + std::to_string(orb) + " (orb) of item " +
                                  std::to_string(orb_item)));
  // The short PDQ hash would stop every command from opening the catalog.
  CHECK_THAT(all, Catch::Contains("hashwatch cannot open this catalog"));
  CHECK(r.problems_found == static_cast<int64_t>(r.problems.size()));
  CHECK(SameBytes(db, before));
  CHECK(Catalog::Open(db.string()).status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("Rows the tables do not agree on and schema changes are reported", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  MakeCatalog(db);
  // A hash of an item that does not exist (foreign keys are a per-connection
  // setting, so another program can write one), an extra index, and the
  // audit log's append-only rule removed.
  REQUIRE(testing::SqlExec(db,
                           "PRAGMA foreign_keys = OFF; "
                           "INSERT INTO signals (item_id, type, hash) VALUES (999, 'pdq', "
                           "zeroblob(32)); "
                           "CREATE INDEX signals_by_type ON signals (type); "
                           "DROP TRIGGER audit_log_no_delete"));
  const int64_t orphan = testing::SqlInt(db, "SELECT max(id) FROM signals");
  const VerifyReport r = VerifyOrDie(db);
  const std::string all = AllProblems(r);
  INFO(all);
  CHECK_FALSE(r.ok);
  CHECK_THAT(all, Catch::Contains("signal " + std::to_string(orphan) +
                                  " belongs to an item the items table does not hold"));
  CHECK_THAT(all, Catch::Contains("unknown item 999"));  // the index cannot be built
  CHECK_THAT(all, Catch::Contains("no trigger audit_log_no_delete (the audit log's append-only"));
  CHECK_THAT(all, Catch::Contains("index signals_by_type is not part of hashwatch's schema"));
}

// The index is built from the tables by LoadCatalog; here it is made to
// disagree with them, as a bug in it would, to see that CheckRows notices.
TEST_CASE("An index that disagrees with the tables is reported", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  MakeCatalog(db);
  const int64_t open_item =
      testing::SqlInt(db,
                      "SELECT min(id) FROM items WHERE case_id = 'L' AND id IN "
                      "(SELECT item_id FROM signals WHERE quality >= 50)");
  const int64_t withdrawn_item =
      testing::SqlInt(db, "SELECT min(id) FROM items WHERE case_id = 'W'");

  absl::StatusOr<catalog::SqliteDb> sql = catalog::SqliteDb::OpenReadOnly(db.string());
  REQUIRE(sql.ok());
  catalog::CaseDirectory directory;
  catalog::CatalogIndexes indexes;
  catalog::LoadResult loaded;
  REQUIRE(catalog::LoadCatalog(catalog::SqliteRowStore::ForReading(&*sql).get(), 50, 0, &directory,
                               &indexes, &loaded)
              .ok());
  const catalog::BuiltIndex built{.directory = &directory, .indexes = &indexes};
  auto check = [&] {
    catalog::ProblemList problems;
    VerifyReport report;
    catalog::CheckRows(&*sql, {.index_min_quality = 50, .embedding_model = 0}, &built, &problems,
                       &report);
    problems.MoveTo(&report);
    return report;
  };
  {
    const VerifyReport agree = check();
    INFO(AllProblems(agree));
    CHECK(agree.ok);
  }

  // An open case's hash missing, a withdrawn case's hash present.
  REQUIRE(indexes.images.Remove(std::vector<int64_t>{open_item}) == 1);
  const std::vector<uint8_t> code(32, 0xab);
  REQUIRE(indexes.images.Add(std::vector<int64_t>{withdrawn_item}, code).ok());
  const VerifyReport r = check();
  const std::string all = AllProblems(r);
  INFO(all);
  CHECK_FALSE(r.ok);
  CHECK_THAT(all, Catch::Contains("of item " + std::to_string(open_item) +
                                  " (case L, open): matchable, but the index does not hold it"));
  CHECK_THAT(all, Catch::Contains("of item " + std::to_string(withdrawn_item) +
                                  " (case W, withdrawn): the index holds it"));

  // The item directory placing an item in the wrong case.
  directory.SetCase("W", true);
  REQUIRE(directory.SetItem(open_item, *directory.FindCase("W")).ok());
  CHECK_THAT(AllProblems(check()),
             Catch::Contains("puts item " + std::to_string(open_item) + " in case W (withdrawn)"));
}

TEST_CASE("Problems beyond the first 100 are counted, not listed", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  {
    auto catalog = OpenOrDie(db);
    ImportRandom(*catalog, "L", 150, 0, 4);
  }
  REQUIRE(testing::SqlExec(db, "UPDATE signals SET hash = x'00'"));
  const VerifyReport r = VerifyOrDie(db);
  CHECK_FALSE(r.ok);
  CHECK(r.problems.size() == 100);
  CHECK(r.problems_found > 150);  // each hash, and the index that cannot be built
}

TEST_CASE("Verify reports a catalog other users could read, and never creates one", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  { OpenOrDie(db); }
  fs::permissions(db, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  const VerifyReport r = VerifyOrDie(db);
  CHECK_FALSE(r.ok);
  CHECK_THAT(AllProblems(r), Catch::Contains("chmod 600"));

  const fs::path none = dir.path() / "none.db";
  CHECK(VerifyCatalog(none.string()).status().code() == absl::StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(none));
}

TEST_CASE("An older schema verifies without being upgraded", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "schema1.db";
  fs::copy_file(TestdataDir() / "catalog" / "schema1.db", db);
  fs::permissions(db, kOwnerOnly);
  const std::vector<uint8_t> before = testing::ReadFileBytes(db);
  const VerifyReport r = VerifyOrDie(db);
  INFO(AllProblems(r));
  CHECK(r.ok);
  CHECK(r.schema_version == 1);
  REQUIRE(r.notes.size() == 1);
  CHECK_THAT(r.notes[0], Catch::Contains("older"));
  CHECK(SameBytes(db, before));
  CHECK(testing::SqlInt(db, "PRAGMA user_version") == 1);

  // Upgraded by Open, it verifies as version 2 (the ALTERed tables included).
  { OpenOrDie(db); }
  const VerifyReport upgraded = VerifyOrDie(db);
  INFO(AllProblems(upgraded));
  CHECK(upgraded.ok);
  CHECK(upgraded.schema_version == 2);
}

// What is not a catalog, or not one this build can use. Each is refused by
// Open and by VerifyCatalog (a damaged catalog: Open refuses, verify reports
// it), and none is changed by either.
struct NotACatalog {
  std::string what;
  fs::path path;
  absl::StatusCode open_code;
  std::string open_message;
};

std::vector<NotACatalog> MakeFilesThatAreNotCatalogs(const fs::path& dir) {
  std::vector<NotACatalog> files;
  std::mt19937 rng(7);
  std::vector<uint8_t> noise(8192);
  for (uint8_t& b : noise) b = static_cast<uint8_t>(rng());
  testing::WriteFileBytes(dir / "random.db", noise);
  files.push_back({"random bytes", dir / "random.db", absl::StatusCode::kFailedPrecondition,
                   "not an SQLite database"});
  fs::copy_file(TestdataDir() / "known" / "coast.jpg", dir / "photo.db");
  files.push_back({"a JPEG", dir / "photo.db", absl::StatusCode::kFailedPrecondition,
                   "not an SQLite database"});

  const fs::path newer = dir / "newer.db";
  { OpenOrDie(newer); }
  REQUIRE(testing::SqlExec(newer, "PRAGMA user_version = 3"));
  files.push_back({"a catalog of a newer hashwatch", newer, absl::StatusCode::kFailedPrecondition,
                   "schema version 3 is newer"});

  const fs::path whole = dir / "whole.db";
  {
    auto catalog = OpenOrDie(whole);
    ImportRandom(*catalog, "L", 2000, 0, 5);
  }
  std::vector<uint8_t> bytes = testing::ReadFileBytes(whole);
  REQUIRE(bytes.size() > 65536);
  bytes.resize(bytes.size() / 2);
  testing::WriteFileBytes(dir / "truncated.db", bytes);
  files.push_back(
      {"a truncated catalog", dir / "truncated.db", absl::StatusCode::kDataLoss, "damaged"});
  for (const NotACatalog& f : files) fs::permissions(f.path, kOwnerOnly);
  return files;
}

TEST_CASE("Open and verify refuse what is not a usable catalog and leave it as it was",
          "[catalog]") {
  TempDir dir;
  for (const NotACatalog& f : MakeFilesThatAreNotCatalogs(dir.path())) {
    INFO(f.what);
    const std::vector<uint8_t> before = testing::ReadFileBytes(f.path);

    absl::StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open(f.path.string());
    CHECK(opened.status().code() == f.open_code);
    const std::string message(opened.status().message());
    CHECK_THAT(message, Catch::StartsWith(f.path.string()));
    CHECK_THAT(message, Catch::Contains(f.open_message));
    CHECK(SameBytes(f.path, before));

    absl::StatusOr<VerifyReport> verified = VerifyCatalog(f.path.string());
    if (f.open_code == absl::StatusCode::kDataLoss) {
      REQUIRE(verified.ok());
      CHECK_FALSE(verified->ok);
      CHECK_THAT(AllProblems(*verified), Catch::Contains("damaged"));
    } else {
      CHECK(verified.status().code() == absl::StatusCode::kFailedPrecondition);
      CHECK_THAT(std::string(verified.status().message()), Catch::StartsWith(f.path.string()));
      CHECK_THAT(std::string(verified.status().message()), Catch::Contains(f.open_message));
    }
    CHECK(SameBytes(f.path, before));
  }
}

// Issue 9: Open switched a file to WAL before looking at what it was, so
// another application's SQLite file was rewritten (its header's format
// bytes and change counter) before being refused.
TEST_CASE("Another application's SQLite file is refused by Open and verify, byte for byte intact",
          "[catalog]") {
  TempDir dir;
  const fs::path other = dir.path() / "other.db";
  REQUIRE(testing::SqlExec(other,
                           "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); "
                           "INSERT INTO notes (body) VALUES ('not a catalog')"));
  fs::permissions(other, kOwnerOnly);
  const std::vector<uint8_t> before = testing::ReadFileBytes(other);

  absl::StatusOr<VerifyReport> verified = VerifyCatalog(other.string());
  CHECK(verified.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(verified.status().message()),
             Catch::StartsWith(other.string() + ": this SQLite file is not a hashwatch catalog"));
  CHECK(SameBytes(other, before));

  absl::StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open(other.string());
  CHECK(opened.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(opened.status().message()),
             Catch::StartsWith(other.string() + ": this SQLite file is not a hashwatch catalog"));
  CHECK(SameBytes(other, before));
  CHECK_FALSE(fs::exists(other.string() + "-wal"));
  CHECK(testing::SqlText(other, "PRAGMA journal_mode") == "delete");
}

}  // namespace
}  // namespace hashwatch
