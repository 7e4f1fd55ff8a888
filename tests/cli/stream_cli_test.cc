// End-to-end: `scan -` and `hash -` as long-running pipeline stages: each
// path's record comes out while standard input is still open, a withdrawal by
// another process is respected within --freshness, and SIGTERM finishes the
// file in flight before a clean exit.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "../catalog/catalog_fixtures.h"
#include "cli_test_support.h"
#include "test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

nlohmann::json Parsed(const std::string& line) {
  INFO("line: " << line);
  REQUIRE(!line.empty());  // no record came
  return nlohmann::json::parse(line);
}

fs::path EnrolledCatalog(const TempDir& dir) {
  const fs::path db = dir.path() / "c.db";
  const CommandResult enroll = RunCommand(Hw() + " enroll --db " + Q(db) + " --case K " +
                                          Q(TestdataDir() / "known" / "coffee.jpg"));
  INFO(enroll.err);
  REQUIRE(enroll.exit_code == 0);
  return db;
}

TEST_CASE("scan - answers each path while standard input stays open", "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  const std::string other = (TestdataDir() / "known" / "rocket.jpg").string();
  const std::string missing = (dir.path() / "gone.jpg").string();
  for (int jobs : {1, 2}) {
    INFO("--jobs " << jobs);
    // The writer sends the next path only after it has read the record of
    // the one before: a scan that waited for the end of its input would
    // answer nothing, and ReadLine would give up.
    Conversation scan(Hw() + " scan --db " + Q(db) + " --jobs " + std::to_string(jobs) + " -");
    scan.WriteLine(copy);
    nlohmann::json r = Parsed(scan.ReadLine());
    CHECK(r["path"] == copy);
    REQUIRE(r["matches"].size() == 1);
    CHECK(r["matches"][0]["case"] == "K");
    scan.WriteLine(other);
    r = Parsed(scan.ReadLine());
    CHECK(r["path"] == other);
    CHECK(r["matches"].empty());
    scan.WriteLine(missing);
    r = Parsed(scan.ReadLine());
    CHECK(r["path"] == missing);
    CHECK(r.contains("error"));
    scan.CloseInput();
    CHECK(scan.ReadLine(5).empty());  // nothing more
    CHECK(scan.Wait() == 1);          // one path could not be read
  }
  // hash - streams the same way.
  Conversation hash(Hw() + " hash --jobs 2 -");
  for (const std::string& path : {copy, other}) {
    hash.WriteLine(path);
    const nlohmann::json r = Parsed(hash.ReadLine());
    CHECK(r["path"] == path);
    CHECK(r["pdq"].get<std::string>().size() == 64);
  }
  hash.CloseInput();
  CHECK(hash.Wait() == 0);
}

TEST_CASE("A running scan stops matching a case another process withdrew, within --freshness",
          "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  Conversation scan(Hw() + " scan --db " + Q(db) + " --freshness 0.5 -");
  scan.WriteLine(copy);
  REQUIRE(Parsed(scan.ReadLine())["matches"].size() == 1);
  const CommandResult w = RunCommand(Hw() + " withdraw --db " + Q(db) + " --case K");
  REQUIRE(w.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // past the bound
  scan.WriteLine(copy);
  CHECK(Parsed(scan.ReadLine())["matches"].empty());
  scan.CloseInput();
  CHECK(scan.Wait() == 0);
}

TEST_CASE("SIGTERM: a scan finishes and reports the file in flight, records the run, exits 143",
          "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  // A file whose worker hangs (test hook) stays in flight until its
  // --file-seconds limit: long enough to send the signal meanwhile.
  const fs::path slow = dir.path() / "slow_hangme.jpg";
  fs::copy_file(copy, slow);
  Conversation scan(Hw() + " scan --db " + Q(db) + " --isolate --jobs 2 --file-seconds 3 -",
                    "HASHWATCH_WORKER_TEST_FAULT=hang:hangme");
  scan.WriteLine(copy);
  REQUIRE(Parsed(scan.ReadLine())["matches"].size() == 1);
  scan.WriteLine(slow.string());
  std::this_thread::sleep_for(std::chrono::seconds(1));  // the scan has taken it
  scan.Signal(SIGTERM);
  // Standard input is still open: the scan must not wait for it.
  const nlohmann::json r = Parsed(scan.ReadLine());
  CHECK(r["path"] == slow.string());
  CHECK_THAT(r["error"].get<std::string>(), Catch::Contains("time limit"));
  const int status = scan.Wait();
  CHECK(status == 143);
  CHECK_THAT(scan.Errors(), Catch::Contains("stopped by SIGTERM"));
  CHECK(SqlText(db,
                "SELECT json_extract(details, '$.files') FROM audit_log WHERE action = "
                "'scan'") == "2");
}

}  // namespace
}  // namespace hashwatch::testing

namespace hashwatch::testing {
namespace {

TEST_CASE("scan --follow takes each file that appears in a drop folder once, across restarts",
          "[cli][stream]") {
  TempDir dir;
  const fs::path db = EnrolledCatalog(dir);
  const fs::path drop = dir.path() / "drop";
  const fs::path journal = dir.path() / "journal.jsonl";
  fs::create_directories(drop);
  const fs::path copy = TestdataDir() / "crawled" / "coffee_q60.jpg";
  const fs::path other = TestdataDir() / "known" / "rocket.jpg";
  fs::copy_file(copy, drop / "a.jpg");  // there before the scan starts
  const std::string command = Hw() + " scan --db " + Q(db) + " --follow " + Q(drop) +
                              " --journal " + Q(journal) + " --jobs 2";
  {
    Conversation scan(command);
    nlohmann::json r = Parsed(scan.ReadLine());
    CHECK(r["path"] == (drop / "a.jpg").string());
    CHECK(r["matches"].size() == 1);
    // Moved in whole (written elsewhere first), and written in place.
    fs::copy_file(other, dir.path() / "b.tmp");
    fs::rename(dir.path() / "b.tmp", drop / "b.jpg");
    r = Parsed(scan.ReadLine());
    CHECK(r["path"] == (drop / "b.jpg").string());
    CHECK(r["matches"].empty());
    fs::copy_file(copy, drop / "c.jpg");
    r = Parsed(scan.ReadLine());
    CHECK(r["path"] == (drop / "c.jpg").string());
    scan.Signal(SIGTERM);
    CHECK(scan.Wait() == 143);
  }
  // While it was stopped: a new file, and a journal line cut short (a crash
  // in the middle of writing it).
  fs::copy_file(other, drop / "d.jpg");
  {
    std::ofstream torn(journal, std::ios::app);
    torn << "{\"path\":\"" << (drop / "d.jpg").string();
  }
  {
    Conversation scan(command);
    const nlohmann::json r = Parsed(scan.ReadLine());
    CHECK(r["path"] == (drop / "d.jpg").string());  // a, b and c are not scanned again
    CHECK(scan.ReadLine(2).empty());
    scan.Signal(SIGTERM);
    CHECK(scan.Wait() == 143);
    CHECK_THAT(scan.Errors(), Catch::Contains("3 of its files were scanned before"));
  }
  std::ifstream in(journal);
  std::vector<std::string> paths;
  for (std::string line; std::getline(in, line);) {
    paths.push_back(nlohmann::json::parse(line)["path"].get<std::string>());
  }
  CHECK(paths == std::vector<std::string>{(drop / "a.jpg").string(), (drop / "b.jpg").string(),
                                          (drop / "c.jpg").string(), (drop / "d.jpg").string()});
  CHECK(FileMode(journal) == 0600);
  // --follow needs --journal, and excludes paths.
  CHECK(RunCommand(Hw() + " scan --db " + Q(db) + " --follow " + Q(drop)).exit_code == 2);
  CHECK(RunCommand(command + " " + Q(copy)).exit_code == 2);
}

}  // namespace
}  // namespace hashwatch::testing
