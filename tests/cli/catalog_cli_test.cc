// End-to-end: the catalog commands of the built `hashwatch` binary.
#include <catch2/catch.hpp>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../catalog/catalog_fixtures.h"
#include "cli_test_support.h"
#include "test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

TEST_CASE("hashwatch enroll + scan: the demo finds the edited copies and no unrelated photo",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "cases.db";
  CommandResult enroll =
      RunCommand(Hw() + " enroll --db " + Q(db) + " --case 2024-0113 --label demo " +
                 "--operator alice " + Q(TestdataDir() / "known"));
  INFO(enroll.err);
  REQUIRE(enroll.exit_code == 0);
  std::map<std::string, int64_t> item_of;  // known file name -> item
  for (const nlohmann::json& r : JsonLines(enroll.out)) {
    CHECK(r["case"] == "2024-0113");
    CHECK(r["indexed"] == true);
    item_of[fs::path(r["path"].get<std::string>()).filename().string()] = r["item"].get<int64_t>();
  }
  REQUIRE(item_of.size() == 5);
  CHECK(FileMode(db) == 0600);

  CommandResult scan =
      RunCommand(Hw() + " scan --db " + Q(db) + " --jobs 2 " + Q(TestdataDir() / "crawled"));
  INFO(scan.err);
  REQUIRE(scan.exit_code == 0);
  std::map<std::string, nlohmann::json> by_file;
  for (const nlohmann::json& r : JsonLines(scan.out)) {
    by_file[fs::path(r["path"].get<std::string>()).filename().string()] = r;
  }
  for (const ScanExpectation& e : ReadScanExpectations()) {
    INFO(e.file << ": " << by_file[e.file].dump());
    REQUIRE(by_file.count(e.file) == 1);
    const nlohmann::json& matches = by_file[e.file]["matches"];
    REQUIRE(matches.is_array());
    if (e.copy_of == "-") {
      CHECK(matches.empty());
      continue;
    }
    REQUIRE(matches.size() == 1);
    // Plain PDQ misses the crop; the verification stage confirms it.
    CHECK(matches[0]["stage"] == (KnownPdqMiss(e) ? "verified" : "pdq"));
    CHECK(matches[0]["case"] == "2024-0113");
    CHECK(matches[0]["item"] == item_of[e.copy_of]);
    CHECK(matches[0]["signal"] == "pdq");
    if (!KnownPdqMiss(e)) CHECK(matches[0]["distance"].get<int>() <= 31);
    CHECK(matches[0]["variant"].is_string());
  }
  // The scan and the enrolments are in the audit log, with the operator.
  CHECK(
      SqlInt(db, "SELECT count(*) FROM audit_log WHERE action = 'enroll' AND operator = 'alice'") ==
      5);
  CHECK(
      SqlInt(
          db,
          "SELECT json_extract(details, '$.matched_files') FROM audit_log WHERE action = 'scan'") ==
      10);

  // Table and CSV: one row per match.
  CommandResult csv = RunCommand(Hw() + " scan --db " + Q(db) + " --format csv " +
                                 Q(TestdataDir() / "crawled" / "rocket_mirror.jpg"));
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Catch::StartsWith(
                          "path,case,item,signal,distance,variant,stage,inliers,score,query_start,"
                          "query_end,ref_start,ref_end,frames,note,error\n"));
  CHECK_THAT(csv.out,
             Catch::Contains(",2024-0113," + std::to_string(item_of["rocket.jpg"]) + ",pdq,"));
  CHECK_THAT(csv.out, Catch::Contains(",flip_y,"));
}

TEST_CASE("hashwatch scan reports unreadable files and exits 1, and needs a catalog",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  REQUIRE(RunCommand(Hw() + " enroll --db " + Q(db) + " --case K " +
                     Q(TestdataDir() / "known" / "coffee.jpg"))
              .exit_code == 0);
  WriteFileText(dir.path() / "broken.jpg", "\xFF\xD8\xFF garbage");
  CommandResult scan =
      RunCommand(Hw() + " scan --db " + Q(db) + " " + Q(dir.path() / "broken.jpg") + " " +
                     Q(TestdataDir() / "crawled" / "coffee_half.jpg") + " -",
                 (TestdataDir() / "crawled" / "coins.jpg").string() + "\n");
  CHECK(scan.exit_code == 1);
  const std::vector<nlohmann::json> lines = JsonLines(scan.out);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].contains("error"));
  CHECK_THAT(lines[0]["error"].get<std::string>(), Catch::Contains("broken.jpg"));
  CHECK(lines[1]["matches"].size() == 1);
  CHECK(lines[2]["matches"].empty());  // read from stdin

  CommandResult missing = RunCommand(Hw() + " scan --db " + Q(dir.path() / "none.db") + " " +
                                     Q(TestdataDir() / "crawled"));
  CHECK(missing.exit_code == 2);
  CHECK_THAT(missing.err, Catch::Contains("none.db: no catalog here"));
  CHECK_FALSE(fs::exists(dir.path() / "none.db"));
  CHECK(RunCommand(Hw() + " scan " + Q(TestdataDir() / "crawled")).exit_code == 2);  // no --db
  CHECK(RunCommand(Hw() + " scan --db " + Q(db) + " --threshold 300 x").exit_code == 2);
  CommandResult bad_case = RunCommand(Hw() + " enroll --db " + Q(db) + " --case '' x");
  CHECK(bad_case.exit_code == 2);
  CHECK_THAT(bad_case.err, Catch::Contains("case id"));
}

TEST_CASE("hashwatch withdraw stops matches and the case cannot be exported afterwards",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  REQUIRE(RunCommand(Hw() + " enroll --db " + Q(db) + " --case K " + Q(TestdataDir() / "known"))
              .exit_code == 0);
  const std::string scan =
      Hw() + " scan --db " + Q(db) + " " + Q(TestdataDir() / "crawled" / "coast_q60.jpg");
  REQUIRE(JsonLines(RunCommand(scan).out)[0]["matches"].size() == 1);
  CommandResult w = RunCommand(Hw() + " withdraw --db " + Q(db) + " --case K --operator bob");
  CHECK(w.exit_code == 0);
  CHECK_THAT(w.out, Catch::Contains("withdrew case K: its 5 item(s) no longer match"));
  CHECK(JsonLines(RunCommand(scan).out)[0]["matches"].empty());
  CHECK(RunCommand(Hw() + " withdraw --db " + Q(db) + " --case K").exit_code == 0);  // idempotent
  CommandResult unknown = RunCommand(Hw() + " withdraw --db " + Q(db) + " --case nope");
  CHECK(unknown.exit_code == 1);
  CHECK_THAT(unknown.err, Catch::Contains("no case 'nope'"));
  CommandResult exp =
      RunCommand(Hw() + " export --db " + Q(db) + " --case K " + Q(dir.path() / "k.csv"));
  CHECK(exp.exit_code == 1);
  CHECK_THAT(exp.err, Catch::Contains("withdrawn"));
  CHECK_FALSE(fs::exists(dir.path() / "k.csv"));
  CHECK(SqlText(db, "SELECT operator FROM audit_log WHERE action = 'withdraw'") == "bob");
}

TEST_CASE("hashwatch export and import round-trip and a bad list is refused whole",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path a = dir.path() / "a.db", b = dir.path() / "b.db";
  REQUIRE(RunCommand(Hw() + " enroll --db " + Q(a) + " --case K --label 'known, five' " +
                     Q(TestdataDir() / "known"))
              .exit_code == 0);
  const fs::path csv = dir.path() / "k.csv";
  CommandResult exp = RunCommand(Hw() + " export --db " + Q(a) + " " + Q(csv));
  INFO(exp.err);
  REQUIRE(exp.exit_code == 0);
  CHECK_THAT(exp.err, Catch::Contains("exported 5 hash(es) of 1 case(s)"));
  CHECK(FileMode(csv) == 0600);
  CommandResult to_stdout = RunCommand(Hw() + " export --db " + Q(a) + " -");
  CHECK_THAT(to_stdout.out, Catch::StartsWith("pdq_hex,quality,case,label\n"));
  CHECK_THAT(to_stdout.out, Catch::Contains(",100,K,\"known, five\"\n"));

  CommandResult imp = RunCommand(Hw() + " import --db " + Q(b) + " " + Q(csv));
  INFO(imp.err);
  REQUIRE(imp.exit_code == 0);
  CHECK_THAT(imp.out, Catch::Contains("imported 5 hash(es) as 5 item(s) from a csv list"));
  CommandResult scan = RunCommand(Hw() + " scan --db " + Q(b) + " " +
                                  Q(TestdataDir() / "crawled" / "tulips_half.jpg"));
  CHECK(JsonLines(scan.out)[0]["matches"][0]["case"] == "K");

  // Plain lists from stdin need --case; a bad line names its number.
  std::mt19937_64 rng(9);
  const std::string h1 = RandomPdqHex(rng), h2 = RandomPdqHex(rng);
  CommandResult no_case = RunCommand(Hw() + " import --db " + Q(b) + " -", h1 + "\n");
  CHECK(no_case.exit_code == 1);
  CHECK_THAT(no_case.err, Catch::Contains("--case"));
  CommandResult bad =
      RunCommand(Hw() + " import --db " + Q(b) + " --case P -", h1 + "\n" + h2 + "\nxyz\n");
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("line 3: pdq hash must be 64 hex digits, got 3"));
  CHECK_THAT(bad.err, Catch::Contains("nothing was imported"));
  CHECK(SqlInt(b, "SELECT count(*) FROM items") == 5);
  CommandResult good =
      RunCommand(Hw() + " import --db " + Q(b) + " --case P -", h1 + "\n" + h2 + "\n");
  CHECK(good.exit_code == 0);
  CHECK(SqlInt(b, "SELECT count(*) FROM items") == 7);

  CommandResult stats = RunCommand(Hw() + " stats --db " + Q(b) + " --json");
  REQUIRE(stats.exit_code == 0);
  const nlohmann::json s = nlohmann::json::parse(stats.out);
  CHECK(s["items"] == 7);
  CHECK(s["indexed_hashes"] == 7);
  CHECK(s["cases_open"] == 2);
  CHECK(s["audit_entries"] == 3);  // two imports and a scan; the refused import left none
  CHECK(RunCommand(Hw() + " stats --db " + Q(dir.path() / "none.db")).exit_code == 2);
}

// Issue 9: the operator name was never validated.
TEST_CASE("hashwatch refuses an operator name with control characters before doing anything",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "cases.db";
  CommandResult bad = RunCommand(Hw() + " enroll --db " + Q(db) + " --case C --operator " +
                                 "$(printf 'eve\\033[2J') " + Q(TestdataDir() / "known"));
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--operator") && Catch::Contains("control character"));
  CHECK(bad.err.find('\x1b') == std::string::npos);  // the error shows it escaped
  CHECK_FALSE(fs::exists(db));
}

// Issue 9: a catalog reached through a symlink was opened, whatever it
// pointed at.
TEST_CASE("hashwatch refuses a catalog through a symlink or open to other users",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "cases.db";
  REQUIRE(RunCommand(Hw() + " enroll --db " + Q(db) + " --case C " +
                     Q(TestdataDir() / "known" / "coffee.jpg"))
              .exit_code == 0);
  fs::create_symlink(db, dir.path() / "link.db");
  CommandResult link = RunCommand(Hw() + " stats --db " + Q(dir.path() / "link.db"));
  CHECK(link.exit_code == 2);
  CHECK_THAT(link.err, Catch::Contains("symbolic link"));
  fs::permissions(db, fs::perms::others_read, fs::perm_options::add);
  CommandResult readable = RunCommand(Hw() + " stats --db " + Q(db));
  CHECK(readable.exit_code == 2);
  CHECK_THAT(readable.err, Catch::Contains("chmod 600"));
}

// Issue 9: a decoder crash or hang took the whole scan with it.
TEST_CASE("hashwatch scan --isolate: a crashing or hanging file costs that file only, in order",
          "[catalog][cli][isolation]") {
  TempDir dir;
  const fs::path db = dir.path() / "cases.db";
  REQUIRE(RunCommand(Hw() + " enroll --db " + Q(db) + " --case C " +
                     Q(TestdataDir() / "known" / "coffee.jpg"))
              .exit_code == 0);
  const fs::path crawl = dir.path() / "crawl";
  fs::create_directories(crawl);
  const auto copy = ReadFileBytes(TestdataDir() / "crawled" / "coffee_q60.jpg");
  for (const char* n : {"a.jpg", "b_crashme.jpg", "c_hangme.jpg", "d.jpg", "e_hangme.jpg"}) {
    WriteFileBytes(crawl / n, copy);
  }
  WriteFileText(crawl / "f_text.jpg", "not an image");
  CommandResult r =
      RunCommand("HASHWATCH_WORKER_TEST_FAULT=crash:crashme,hang:hangme " + Hw() +
                 " scan --isolate --jobs 2 --file-seconds 2 --db " + Q(db) + " " + Q(crawl));
  INFO(r.err);
  CHECK(r.exit_code == 1);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 6);
  const std::vector<std::string> expect = {"a.jpg", "b_crashme.jpg", "c_hangme.jpg",
                                           "d.jpg", "e_hangme.jpg",  "f_text.jpg"};
  for (size_t i = 0; i < lines.size(); ++i) {
    CHECK(fs::path(lines[i]["path"].get<std::string>()).filename() == expect[i]);
  }
  for (size_t i : {0, 3}) {
    REQUIRE(lines[i]["matches"].size() == 1);
    CHECK(lines[i]["matches"][0]["case"] == "C");
  }
  CHECK_THAT(lines[1]["error"].get<std::string>(), Catch::Contains("signal 11"));
  CHECK_THAT(lines[2]["error"].get<std::string>(), Catch::Contains("time limit"));
  CHECK_THAT(lines[4]["error"].get<std::string>(), Catch::Contains("time limit"));
  CHECK_THAT(lines[5]["error"].get<std::string>(), Catch::Contains("not a supported image"));
}

TEST_CASE("Every catalog command explains itself in --help", "[catalog][cli]") {
  for (const char* cmd : {"enroll", "scan", "withdraw", "export", "import", "stats"}) {
    CommandResult help = RunCommand(Hw() + " " + cmd + " --help");
    INFO(cmd << ": " << help.out);
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--db"));
    CHECK_THAT(help.out, Catch::Contains("Exit status"));
    CHECK_THAT(help.out, Catch::Contains("Example: hashwatch"));
  }
}

}  // namespace
}  // namespace hashwatch::testing
