// Catalog: enrol, match (with dihedral variants), withdraw, reopen, privacy.
#include "hashwatch/catalog.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "catalog/catalog_schema.h"
#include "catalog_fixtures.h"
#include "hashwatch/text.h"

namespace hashwatch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestdataDir;

std::unique_ptr<Catalog> OpenOrDie(const fs::path& path, CatalogOptions options = {}) {
  absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(path.string(), options);
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *std::move(c);
}

// Enrols testdata/known/*.jpg under case "K"; returns item by file name.
std::map<std::string, ItemId> EnrollKnown(Catalog& catalog) {
  std::map<std::string, ItemId> items;
  for (const char* name :
       {"astronaut.jpg", "coast.jpg", "coffee.jpg", "rocket.jpg", "tulips.jpg"}) {
    absl::StatusOr<EnrollResult> r = catalog.EnrollFile(
        {.case_id = "K", .label = "known", .source_note = "", .operator_name = "tester"},
        (TestdataDir() / "known" / name).string());
    INFO(name << ": " << r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r->quality >= 50);
    CHECK(r->indexed);
    CHECK_FALSE(r->already_enrolled);
    items[name] = r->item;
  }
  return items;
}

MatchOptions NoDihedral() {
  MatchOptions o;
  o.dihedral = false;
  return o;
}

MatchOptions AnyQuality() {
  MatchOptions o;
  o.min_quality = 0;
  return o;
}

CatalogOptions NoCreate() {
  CatalogOptions o;
  o.create_if_missing = false;
  return o;
}

// A flat grey PNG: PDQ quality 0.
std::vector<uint8_t> FlatPng() {
  cv::Mat img(64, 64, CV_8UC3, cv::Scalar(128, 128, 128));
  std::vector<uint8_t> png;
  cv::imencode(".png", img, png);
  return png;
}

TEST_CASE("Scanning the crawled set finds every copy and nothing else", "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  const auto items = EnrollKnown(*catalog);
  int matched = 0;
  for (const testing::ScanExpectation& e : testing::ReadScanExpectations()) {
    absl::StatusOr<MatchResult> r =
        catalog->MatchFile((TestdataDir() / "crawled" / e.file).string());
    INFO(e.file << " (" << e.edit << "): " << r.status().ToString());
    REQUIRE(r.ok());
    CHECK_FALSE(r->low_quality);
    if (e.copy_of == "-") {
      CHECK(r->matches.empty());  // a false match would target someone else's content
      continue;
    }
    if (testing::KnownPdqMiss(e)) {
      // PDQ's known weakness: the 4% crop is ~36 bits away, over 31, so
      // plain PDQ misses it ...
      absl::StatusOr<MatchResult> plain =
          catalog->MatchFile((TestdataDir() / "crawled" / e.file).string(), testing::PlainPdq());
      REQUIRE(plain.ok());
      CHECK(plain->matches.empty());
      // ... and the verification stage confirms it with local features.
      REQUIRE(r->matches.size() == 1);
      const Match& m = r->matches[0];
      CHECK(m.item == items.at(e.copy_of));
      CHECK(m.distance > 31);
      CHECK(m.stage == "verified");
      CHECK(m.inliers >= MatchOptions().min_inliers);
      ++matched;
      continue;
    }
    REQUIRE(r->matches.size() == 1);
    const Match& m = r->matches[0];
    CHECK(m.stage == "pdq");
    CHECK(m.case_id == "K");
    CHECK(m.item == items.at(e.copy_of));
    CHECK(m.signal == "pdq");
    CHECK(m.distance <= 31);
    if (e.edit.find("mirrored") != std::string::npos) CHECK(m.variant == Dihedral::kFlipY);
    if (e.edit.find("rotated 90 degrees clockwise") != std::string::npos) {
      CHECK(m.variant == Dihedral::kRotate90);  // turning it back: 90 anticlockwise
    }
    if (e.edit.find("mirrored") == std::string::npos &&
        e.edit.find("rotated") == std::string::npos) {
      CHECK(m.variant == Dihedral::kOriginal);
    }
    ++matched;
  }
  CHECK(matched == 10);
}

TEST_CASE("Rotated and mirrored copies match only through the dihedral variants", "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  EnrollKnown(*catalog);
  for (const char* name : {"rocket_mirror.jpg", "coast_rot90.jpg"}) {
    const std::string path = (TestdataDir() / "crawled" / name).string();
    absl::StatusOr<MatchResult> with = catalog->MatchFile(path);
    absl::StatusOr<MatchResult> without = catalog->MatchFile(path, NoDihedral());
    REQUIRE(with.ok());
    REQUIRE(without.ok());
    CHECK(with->matches.size() == 1);
    CHECK(without->matches.empty());
  }
}

TEST_CASE("Withdrawing a case stops its matches at once, without reopening", "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  EnrollKnown(*catalog);
  REQUIRE(
      catalog
          ->EnrollFile({.case_id = "other", .label = "", .source_note = "", .operator_name = ""},
                       (TestdataDir() / "known" / "coffee.jpg").string())
          .ok());
  const std::string query = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  REQUIRE(catalog->MatchFile(query)->matches.size() == 2);  // both cases hold coffee

  absl::StatusOr<WithdrawResult> w = catalog->Withdraw("K", "tester");
  REQUIRE(w.ok());
  CHECK(w->items == 5);
  CHECK_FALSE(w->already_withdrawn);
  absl::StatusOr<MatchResult> after = catalog->MatchFile(query);
  REQUIRE(after.ok());
  REQUIRE(after->matches.size() == 1);
  CHECK(after->matches[0].case_id == "other");
  CHECK(catalog->MatchFile((TestdataDir() / "crawled" / "rocket_mirror.jpg").string())
            ->matches.empty());

  CHECK(catalog->Withdraw("K", "tester")->already_withdrawn);
  CHECK(catalog->Withdraw("nope", "tester").status().code() == absl::StatusCode::kNotFound);
  // Nothing more goes into a withdrawn case.
  absl::StatusOr<EnrollResult> again =
      catalog->EnrollFile({.case_id = "K", .label = "", .source_note = "", .operator_name = ""},
                          (TestdataDir() / "known" / "coast.jpg").string());
  CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(again.status().message()), Catch::Contains("withdrawn"));

  // The audit log keeps the withdrawal, with who did it.
  const fs::path db = dir.path() / "c.db";
  CHECK(testing::SqlText(db,
                         "SELECT operator || ' ' || json_extract(details, '$.case') FROM "
                         "audit_log WHERE action = 'withdraw'") == "tester K");
  // And a reopened catalog still does not match it.
  catalog.reset();
  catalog = OpenOrDie(db);
  REQUIRE(catalog->MatchFile(query)->matches.size() == 1);
}

TEST_CASE("Refresh brings in what another connection enrolled, imported and withdrew",
          "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  auto writer = OpenOrDie(db);  // stands for another process: its own connection
  // No freshness bound: this reader sees others' changes only when it calls
  // Refresh (the bound's own test is below).
  CatalogOptions by_hand;
  by_hand.max_staleness_seconds = std::numeric_limits<double>::infinity();
  auto reader = OpenOrDie(db, by_hand);
  const std::string query = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  REQUIRE(reader->Refresh().ok());  // nothing changed: a no-op
  absl::StatusOr<EnrollResult> coffee =
      writer->EnrollFile({.case_id = "K", .label = "", .source_note = "", .operator_name = ""},
                         (TestdataDir() / "known" / "coffee.jpg").string());
  REQUIRE(coffee.ok());
  std::mt19937_64 rng(1);
  const std::string hex = testing::RandomPdqHex(rng);
  std::istringstream list(hex + "\n");
  REQUIRE(writer
              ->ImportHashes({.case_id = "L", .label = "", .source_name = "", .operator_name = ""},
                             list)
              .ok());
  CHECK(reader->MatchFile(query)->matches.empty());  // not seen yet
  REQUIRE(reader->Refresh().ok());
  REQUIRE(reader->MatchFile(query)->matches.size() == 1);
  CHECK(reader->MatchFile(query)->matches[0].item == coffee->item);
  CHECK(reader->MatchSignal(testing::PdqSignal(hex))->matches.size() == 1);
  // The reader's own enrolment, then a refresh: nothing counted twice.
  REQUIRE(reader
              ->EnrollFile({.case_id = "M", .label = "", .source_note = "", .operator_name = ""},
                           (TestdataDir() / "known" / "rocket.jpg").string())
              .ok());
  REQUIRE(writer->Withdraw("K", "").ok());
  CHECK(reader->MatchFile(query)->matches.size() == 1);
  REQUIRE(reader->Refresh().ok());
  CHECK(reader->MatchFile(query)->matches.empty());
  // L's hash and M's rocket, and the rocket's stored views (crops of it).
  absl::StatusOr<CatalogStats> after = reader->Stats();
  REQUIRE(after.ok());
  CHECK(after->indexed_hashes - after->indexed_views == 2);
  CHECK(after->indexed_views >= 1);
}

TEST_CASE("No match is made against a state of the catalog older than the freshness bound",
          "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  auto writer = OpenOrDie(db);  // stands for another process: its own connection
  REQUIRE(writer
              ->EnrollFile({.case_id = "K", .label = "", .source_note = "", .operator_name = ""},
                           (TestdataDir() / "known" / "coffee.jpg").string())
              .ok());
  CatalogOptions every_match;
  every_match.max_staleness_seconds = 0;
  CatalogOptions bounded;
  bounded.max_staleness_seconds = 0.2;
  CatalogOptions by_hand;
  by_hand.max_staleness_seconds = std::numeric_limits<double>::infinity();
  auto exact = OpenOrDie(db, every_match);
  auto within = OpenOrDie(db, bounded);
  auto unbounded = OpenOrDie(db, by_hand);
  const std::string coffee = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  for (Catalog* c : {exact.get(), within.get(), unbounded.get()}) {
    REQUIRE(c->MatchFile(coffee)->matches.size() == 1);
  }

  // Withdrawn elsewhere: none of the matchers calls Refresh.
  REQUIRE(writer->Withdraw("K", "").ok());
  CHECK(exact->MatchFile(coffee)->matches.empty());  // the very next match
  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  CHECK(within->MatchFile(coffee)->matches.empty());  // once the bound has passed
  // Without a bound the old state answers until the caller refreshes: the
  // bound is what makes the two above right.
  CHECK(unbounded->MatchFile(coffee)->matches.size() == 1);
  REQUIRE(unbounded->Refresh().ok());
  CHECK(unbounded->MatchFile(coffee)->matches.empty());

  // Enrolled elsewhere: matchable here without a Refresh, for images and
  // for hashes searched directly.
  REQUIRE(writer
              ->EnrollFile({.case_id = "M", .label = "", .source_note = "", .operator_name = ""},
                           (TestdataDir() / "known" / "rocket.jpg").string())
              .ok());
  std::mt19937_64 rng(2);
  const std::string hex = testing::RandomPdqHex(rng);
  std::istringstream list(hex + "\n");
  REQUIRE(writer
              ->ImportHashes({.case_id = "L", .label = "", .source_name = "", .operator_name = ""},
                             list)
              .ok());
  CHECK(exact->MatchFile((TestdataDir() / "known" / "rocket.jpg").string())->matches.size() == 1);
  CHECK(exact->MatchSignal(testing::PdqSignal(hex))->matches.size() == 1);

  // A bound must be a number of seconds, 0 or more.
  CatalogOptions bad;
  bad.max_staleness_seconds = -1;
  CHECK(Catalog::Open(db.string(), bad).status().code() == absl::StatusCode::kInvalidArgument);
  bad.max_staleness_seconds = std::nan("");
  CHECK(Catalog::Open(db.string(), bad).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Withdrawing a case another process already withdrew stops it matching here too",
          "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  auto here = OpenOrDie(db);
  auto elsewhere = OpenOrDie(db);  // stands for another process
  REQUIRE(here->EnrollFile({.case_id = "X", .label = "", .source_note = "", .operator_name = ""},
                           (TestdataDir() / "known" / "coffee.jpg").string())
              .ok());
  const std::string query = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  REQUIRE(here->MatchFile(query)->matches.size() == 1);
  REQUIRE(elsewhere->Refresh().ok());
  REQUIRE(elsewhere->Withdraw("X", "").ok());
  absl::StatusOr<WithdrawResult> w = here->Withdraw("X", "");  // without a Refresh first
  REQUIRE(w.ok());
  CHECK(w->already_withdrawn);
  CHECK(here->MatchFile(query)->matches.empty());
}

TEST_CASE("A reopened catalog matches what was enrolled before", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  std::map<std::string, ItemId> items;
  {
    auto catalog = OpenOrDie(db);
    items = EnrollKnown(*catalog);
  }
  auto catalog = OpenOrDie(db, NoCreate());
  absl::StatusOr<MatchResult> r =
      catalog->MatchFile((TestdataDir() / "crawled" / "tulips_half.jpg").string());
  REQUIRE(r.ok());
  REQUIRE(r->matches.size() == 1);
  CHECK(r->matches[0].item == items.at("tulips.jpg"));
  absl::StatusOr<CatalogStats> stats = catalog->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->items == 5);
  CHECK(stats->indexed_hashes - stats->indexed_views == 5);
  CHECK(stats->indexed_views >= 5);  // stored crops of each photo
  CHECK(stats->cases_open == 1);
  CHECK(stats->audit_entries == 5);
  CHECK(stats->schema_version == catalog::CurrentSchemaVersion());
}

TEST_CASE("Enrolling the same file twice into a case stores it once", "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  const std::string path = (TestdataDir() / "known" / "rocket.jpg").string();
  const EnrollRequest req{.case_id = "K", .label = "", .source_note = "", .operator_name = ""};
  absl::StatusOr<EnrollResult> first = catalog->EnrollFile(req, path);
  absl::StatusOr<EnrollResult> second = catalog->EnrollFile(req, path);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  CHECK(second->already_enrolled);
  CHECK(second->item == first->item);
  CHECK(catalog->Stats()->items == 1);
  CHECK(testing::SqlText(dir.path() / "c.db", "SELECT source_note FROM items") == "rocket.jpg");
}

TEST_CASE("Low-quality hashes are stored but not matched, and low-quality queries are reported",
          "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  absl::StatusOr<EnrollResult> flat = catalog->EnrollBytes(
      {.case_id = "K", .label = "", .source_note = "flat.png", .operator_name = ""}, FlatPng());
  REQUIRE(flat.ok());
  CHECK(flat->quality < 50);
  CHECK_FALSE(flat->indexed);
  absl::StatusOr<CatalogStats> stats = catalog->Stats();
  CHECK(stats->pdq_hashes == 1);
  CHECK(stats->low_quality_hashes == 1);
  CHECK(stats->indexed_hashes == 0);

  absl::StatusOr<MatchResult> q = catalog->MatchBytes(FlatPng());
  REQUIRE(q.ok());
  CHECK(q->low_quality);
  CHECK(q->matches.empty());
  // Asked to, the low-quality query is matched, but the stored hash is not
  // in the index at all.
  absl::StatusOr<MatchResult> forced = catalog->MatchBytes(FlatPng(), AnyQuality());
  REQUIRE(forced.ok());
  CHECK_FALSE(forced->low_quality);
  CHECK(forced->matches.empty());
}

TEST_CASE("Bad input is a clear error and leaves the catalog untouched", "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  const EnrollRequest req{.case_id = "K", .label = "", .source_note = "", .operator_name = ""};
  const std::vector<uint8_t> garbage = {'n', 'o', 't', ' ', 'a', 'n', ' ', 'i', 'm', 'a', 'g', 'e'};
  CHECK_FALSE(catalog->EnrollBytes(req, garbage).ok());
  testing::WriteFileBytes(dir.path() / "broken.jpg", {0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10});
  absl::StatusOr<EnrollResult> broken =
      catalog->EnrollFile(req, (dir.path() / "broken.jpg").string());
  REQUIRE_FALSE(broken.ok());
  CHECK_THAT(std::string(broken.status().message()), Catch::Contains("broken.jpg"));
  CHECK_FALSE(catalog->MatchBytes(garbage).ok());
  CHECK(catalog
            ->EnrollBytes({.case_id = "", .label = "", .source_note = "", .operator_name = ""},
                          FlatPng())
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(catalog
            ->EnrollBytes({.case_id = "a\nb", .label = "", .source_note = "", .operator_name = ""},
                          FlatPng())
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  CHECK(catalog->MatchSignal(testing::PdqSignal(std::string(64, '0')), testing::Threshold(-1))
            .status()
            .code() == absl::StatusCode::kInvalidArgument);
  absl::StatusOr<CatalogStats> stats = catalog->Stats();
  CHECK(stats->items == 0);
  CHECK(stats->cases_open == 0);
  CHECK(stats->audit_entries == 0);
}

TEST_CASE("The catalog file and its WAL are readable by the owner only", "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  auto catalog = OpenOrDie(db);
  EnrollKnown(*catalog);
  CHECK(testing::FileMode(db) == 0600);
  // While the catalog is open, the WAL and shared-memory files exist.
  REQUIRE(fs::exists(db.string() + "-wal"));
  CHECK(testing::FileMode(db.string() + "-wal") == 0600);
  CHECK(testing::FileMode(db.string() + "-shm") == 0600);
  CHECK(testing::SqlText(db, "PRAGMA journal_mode") == "wal");
  // No pixels: the only BLOBs are hashes (32 bytes) and each image's local
  // features (keypoint positions and 32-byte descriptors, "ORB1" blobs of at
  // most 400 keypoints; signals/local_features.h).
  CHECK(testing::SqlInt(db, "SELECT max(length(hash)) FROM signals WHERE type <> 'orb'") == 32);
  CHECK(testing::SqlInt(db, "SELECT count(*) FROM signals WHERE type = 'orb'") == 5);
  CHECK(testing::SqlInt(
            db,
            "SELECT count(*) FROM signals WHERE type = 'orb' AND "
            "(substr(hash, 1, 4) <> CAST('ORB1' AS BLOB) OR length(hash) > 10 + 400 * 36)") == 0);
  CHECK(testing::SqlInt(db, "SELECT max(length(sha256)) FROM items") == 32);
}

TEST_CASE("Opening refuses what is not a usable catalog", "[catalog]") {
  TempDir dir;
  CatalogOptions no_create;
  no_create.create_if_missing = false;
  absl::StatusOr<std::unique_ptr<Catalog>> missing =
      Catalog::Open((dir.path() / "none.db").string(), no_create);
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_FALSE(fs::exists(dir.path() / "none.db"));

  testing::WriteFileText(dir.path() / "text.db", "hello, this is not a database at all........");
  fs::permissions(dir.path() / "text.db", fs::perms::owner_read | fs::perms::owner_write);
  absl::StatusOr<std::unique_ptr<Catalog>> text = Catalog::Open((dir.path() / "text.db").string());
  CHECK(text.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(text.status().message()), Catch::Contains("not a hashwatch catalog"));

  // Another application's SQLite file.
  const fs::path other = dir.path() / "other.db";
  REQUIRE(testing::SqlExec(other, "CREATE TABLE t (x)"));
  fs::permissions(other, fs::perms::owner_read | fs::perms::owner_write);
  absl::StatusOr<std::unique_ptr<Catalog>> foreign = Catalog::Open(other.string());
  CHECK(foreign.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(foreign.status().message()), Catch::Contains("not a hashwatch catalog"));

  // A catalog from a newer hashwatch.
  const fs::path newer = dir.path() / "newer.db";
  { OpenOrDie(newer); }
  REQUIRE(testing::SqlExec(newer, "PRAGMA user_version = 99"));
  absl::StatusOr<std::unique_ptr<Catalog>> future = Catalog::Open(newer.string());
  CHECK(future.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(future.status().message()), Catch::Contains("newer"));
}

// Found by the catalog_open fuzzer (testdata/fuzz_regressions/): item ids
// below 1 made Open throw std::length_error out of the library, and an id
// near 2^31 made it allocate gigabytes.
TEST_CASE("A catalog with impossible item ids is refused as damaged, not allocated for",
          "[catalog]") {
  TempDir dir;
  for (const char* name : {"negative_item_id.db", "huge_item_id.db"}) {
    const fs::path copy = dir.path() / name;
    testing::WriteFileBytes(copy, testing::ReadFileBytes(TestdataDir() / "fuzz_regressions" /
                                                         "catalog_open_fuzzer" / name));
    fs::permissions(copy, fs::perms::owner_read | fs::perms::owner_write);
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(copy.string());
    INFO(name << ": " << c.status().ToString());
    CHECK(c.status().code() == absl::StatusCode::kDataLoss);
    CHECK_THAT(std::string(c.status().message()), Catch::Contains("damaged or edited"));
  }
}

// Issue 9: the operator name went into the audit log unchecked, so a name
// holding terminal escapes or line breaks forged or garbled its entries.
TEST_CASE("Operator names are checked before anything is written", "[catalog]") {
  TempDir dir;
  auto catalog = OpenOrDie(dir.path() / "c.db");
  EnrollKnown(*catalog);
  const int64_t entries = catalog->Stats()->audit_entries;
  for (const std::string& bad :
       {std::string("mallory\x1b[2J"), std::string("a\nforged entry"),
        std::string("\xc2\x9b"
                    "31m"),
        std::string("\xff\xfe"), std::string(" alice"), std::string(101, 'x')}) {
    INFO(PrintableText(bad));
    CHECK(ValidateOperatorName(bad).code() == absl::StatusCode::kInvalidArgument);
    CHECK(catalog->Withdraw("K", bad).status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(catalog
              ->EnrollBytes({.case_id = "K2", .label = "", .source_note = "", .operator_name = bad},
                            testing::ReadFileBytes(TestdataDir() / "known" / "coffee.jpg"))
              .status()
              .code() == absl::StatusCode::kInvalidArgument);
  }
  CHECK(catalog->Stats()->audit_entries == entries);
  CHECK(catalog->Stats()->cases_open == 1);
  // Names in any script are fine.
  CHECK(ValidateOperatorName("김지우").ok());
  CHECK(ValidateOperatorName("o'brien@centre-3").ok());
  CHECK(catalog->Withdraw("K", "김지우").ok());
}

// Issue 9: an existing catalog used to be checked by name (stat) and then
// opened by SQLite, following symlinks and whatever its owner and mode.
TEST_CASE(
    "An existing catalog is refused through a symlink or when others could read or replace it",
    "[catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  { EnrollKnown(*OpenOrDie(db)); }
  const std::vector<uint8_t> before = testing::ReadFileBytes(db);

  // A symlink, even to a sound catalog of this user's: it could be re-pointed
  // between the check and the open, or point at someone else's file.
  const fs::path link = dir.path() / "link.db";
  fs::create_symlink(db, link);
  absl::StatusOr<std::unique_ptr<Catalog>> via_link = Catalog::Open(link.string());
  CHECK(via_link.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(via_link.status().message()), Catch::Contains("symbolic link"));

  // Group- or world-readable: another user could read the hashes and labels.
  fs::permissions(db, fs::perms::group_read | fs::perms::others_read, fs::perm_options::add);
  absl::StatusOr<std::unique_ptr<Catalog>> readable = Catalog::Open(db.string());
  CHECK(readable.status().code() == absl::StatusCode::kPermissionDenied);
  CHECK_THAT(std::string(readable.status().message()), Catch::Contains("chmod 600"));
  fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write);

  // Owned by another user (needs root to arrange).
  if (::geteuid() == 0) {
    REQUIRE(::chown(db.c_str(), 65534, 65534) == 0);
    absl::StatusOr<std::unique_ptr<Catalog>> foreign_owner = Catalog::Open(db.string());
    CHECK(foreign_owner.status().code() == absl::StatusCode::kPermissionDenied);
    CHECK_THAT(std::string(foreign_owner.status().message()), Catch::Contains("user id 65534"));
    REQUIRE(::chown(db.c_str(), 0, 0) == 0);
  } else {
    WARN("not root: the other-owner refusal is not exercised");
  }
  // A FIFO in the catalog's place is refused at once (never waits for a writer).
  const fs::path fifo = dir.path() / "fifo.db";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  absl::StatusOr<std::unique_ptr<Catalog>> pipe = Catalog::Open(fifo.string());
  CHECK(pipe.status().code() == absl::StatusCode::kFailedPrecondition);

  // None of the refusals touched the catalog; as its owner, closed to others,
  // by its real path, it opens.
  CHECK(testing::ReadFileBytes(db) == before);
  CHECK(OpenOrDie(db)->Stats()->items == 5);
}

}  // namespace
}  // namespace hashwatch
