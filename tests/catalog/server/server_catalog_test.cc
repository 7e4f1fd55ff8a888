// The Catalog API on a PostgreSQL server: the same calls as on a file, with
// each role seeing what the server lets it see, and scanners following the
// changes other roles commit.
#include "hashwatch/server_catalog.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "hashwatch/catalog.h"
#include "pg_test_support.h"
#include "test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

// A server catalog with two centres' staff and a monitor.
struct Server {
  TestDatabase db;
  std::string north, south, monitor;

  bool Ready() {
    if (!db.error().empty()) {
      WARN("skipped: " << db.error());
      return false;
    }
    absl::StatusOr<ServerInitResult> init = InitServerCatalog(db.OwnerUri());
    INFO(init.status().ToString());
    REQUIRE(init.ok());
    north = db.CreateLoginRole("north");
    south = db.CreateLoginRole("south");
    monitor = db.CreateLoginRole("monitor");
    REQUIRE(AddCentreStaff(db.OwnerUri(), "North", north).ok());
    REQUIRE(AddCentreStaff(db.OwnerUri(), "South", south).ok());
    REQUIRE(AddMonitor(db.OwnerUri(), monitor).ok());
    return true;
  }

  std::unique_ptr<Catalog> Open(const std::string& role, CatalogOptions options = {}) {
    options.create_if_missing = false;
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(db.UriAs(role), options);
    INFO(c.status().ToString());
    REQUIRE(c.ok());
    return *std::move(c);
  }
};

EnrollRequest Request(const std::string& case_id) {
  return {.case_id = case_id, .label = "intake", .source_note = "", .operator_name = "tester"};
}

std::string Known(const std::string& name) {
  return (TestdataDir() / "known" / name).string();
}
std::string Crawled(const std::string& name) {
  return (TestdataDir() / "crawled" / name).string();
}

TEST_CASE("A server catalog enrols, matches, imports, exports and withdraws like a file",
          "[server]") {
  Server server;
  if (!server.Ready()) return;
  std::unique_ptr<Catalog> north = server.Open(server.north);
  absl::StatusOr<EnrollResult> coffee = north->EnrollFile(Request("N-1"), Known("coffee.jpg"));
  INFO(coffee.status().ToString());
  REQUIRE(coffee.ok());
  CHECK(coffee->indexed);
  CHECK(north->EnrollFile(Request("N-1"), Known("coffee.jpg"))->already_enrolled);
  absl::StatusOr<MatchResult> m = north->MatchFile(Crawled("coffee_q60.jpg"));
  REQUIRE(m.ok());
  REQUIRE(m->matches.size() == 1);
  CHECK(m->matches[0].case_id == "N-1");
  CHECK(m->matches[0].item == coffee->item);
  // Verification reads the stored local features from the server too.
  REQUIRE(north->EnrollFile(Request("N-1"), Known("astronaut.jpg")).ok());
  absl::StatusOr<MatchResult> crop = north->MatchFile(Crawled("astronaut_crop4.jpg"));
  REQUIRE(crop.ok());
  REQUIRE(crop->matches.size() == 1);
  CHECK(crop->matches[0].stage == "verified");

  std::mt19937_64 rng(3);
  std::string hex;
  for (int i = 0; i < 64; ++i) hex += "0123456789abcdef"[rng() % 16];
  std::istringstream list(hex + "\n");
  absl::StatusOr<ImportResult> imported = north->ImportHashes(
      {.case_id = "N-2", .label = "", .source_name = "list", .operator_name = ""}, list);
  INFO(imported.status().ToString());
  REQUIRE(imported.ok());
  CHECK(imported->items == 1);
  std::ostringstream exported;
  absl::StatusOr<ExportResult> e = north->ExportHashes(
      {.case_id = "N-2", .operator_name = "", .destination = "test", .video_item = 0}, exported);
  REQUIRE(e.ok());
  CHECK(e->hashes == 1);
  CHECK_THAT(exported.str(), Catch::Contains(hex));

  absl::StatusOr<CatalogStats> stats = north->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->cases_open == 2);
  CHECK(stats->items == 3);
  CHECK(stats->audit_entries >= 3);

  REQUIRE(north->Withdraw("N-1", "tester").ok());
  CHECK(north->MatchFile(Crawled("coffee_q60.jpg"))->matches.empty());
  CHECK(north->Withdraw("N-1", "tester")->already_withdrawn);
  // Reopened: the withdrawal holds.
  north.reset();
  north = server.Open(server.north);
  CHECK(north->MatchFile(Crawled("coffee_q60.jpg"))->matches.empty());
}

TEST_CASE("A scanner follows other roles' enrolments and withdrawals within the freshness bound",
          "[server][concurrency]") {
  Server server;
  if (!server.Ready()) return;
  CatalogOptions every_match;
  every_match.max_staleness_seconds = 0;
  // Opened before anything is enrolled: all it knows comes as changes.
  std::unique_ptr<Catalog> scanner = server.Open(server.monitor, every_match);
  std::unique_ptr<Catalog> south_view = server.Open(server.south, every_match);
  std::unique_ptr<Catalog> north = server.Open(server.north);
  REQUIRE(north->EnrollFile(Request("N-1"), Known("coffee.jpg")).ok());
  REQUIRE(north->EnrollFile(Request("N-1"), Known("rocket.jpg")).ok());

  absl::StatusOr<MatchResult> seen = scanner->MatchFile(Crawled("coffee_q60.jpg"));
  INFO(seen.status().ToString());
  REQUIRE(seen.ok());
  REQUIRE(seen->matches.size() == 1);
  CHECK(seen->matches[0].case_id == "N-1");
  // Another centre's staff never see North's content.
  CHECK(south_view->MatchFile(Crawled("coffee_q60.jpg"))->matches.empty());

  REQUIRE(north->Withdraw("N-1", "tester").ok());
  CHECK(scanner->MatchFile(Crawled("coffee_q60.jpg"))->matches.empty());
  CHECK(scanner->MatchFile(Known("rocket.jpg"))->matches.empty());

  // With a bound of 0.3 s: a later enrolment is matched once the bound has
  // passed, without a Refresh call.
  CatalogOptions bounded;
  bounded.max_staleness_seconds = 0.3;
  std::unique_ptr<Catalog> second = server.Open(server.monitor, bounded);
  REQUIRE(north->EnrollFile(Request("N-3"), Known("coffee.jpg")).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  CHECK(second->MatchFile(Crawled("coffee_q60.jpg"))->matches.size() == 1);
  CHECK(scanner->MatchFile(Crawled("coffee_q60.jpg"))->matches.size() == 1);
  // Caught up through changes, never reloaded: it holds only open cases'
  // hashes (coffee in N-3 and its stored views), none of withdrawn N-1's.
  absl::StatusOr<CatalogStats> stats = scanner->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->audit_entries == -1);  // not the monitor's to read
  CHECK(stats->indexed_hashes - stats->indexed_views == 1);
}

// [concurrency]: the follower thread catches up while this thread matches
// (run under ThreadSanitizer by the test command).
TEST_CASE("A server catalog is woken by the server's change announcements, between matches",
          "[server][concurrency]") {
  Server server;
  if (!server.Ready()) return;
  // No freshness bound: only the follower thread (LISTEN/NOTIFY) can bring
  // the changes in.
  CatalogOptions listening;
  listening.max_staleness_seconds = std::numeric_limits<double>::infinity();
  std::unique_ptr<Catalog> scanner = server.Open(server.monitor, listening);
  CatalogOptions deaf = listening;
  deaf.follow_changes = false;
  std::unique_ptr<Catalog> control = server.Open(server.monitor, deaf);
  std::unique_ptr<Catalog> north = server.Open(server.north);
  REQUIRE(north->EnrollFile(Request("N-1"), Known("coffee.jpg")).ok());
  auto matches_within = [&](Catalog& c, size_t n, double seconds) {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    do {
      if (c.MatchFile(Crawled("coffee_q60.jpg"))->matches.size() == n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return false;
  };
  CHECK(matches_within(*scanner, 1, 30));
  REQUIRE(north->Withdraw("N-1", "tester").ok());
  CHECK(matches_within(*scanner, 0, 30));
  // Without the follower (and without a bound) nothing came in.
  CHECK(control->MatchFile(Crawled("coffee_q60.jpg"))->matches.empty());
  CHECK(control->Stats()->indexed_hashes == 0);
}

TEST_CASE("On a server, only a centre's staff enrol and withdraw, and only their own cases",
          "[server]") {
  Server server;
  if (!server.Ready()) return;
  std::unique_ptr<Catalog> north = server.Open(server.north);
  std::unique_ptr<Catalog> south = server.Open(server.south);
  std::unique_ptr<Catalog> scanner = server.Open(server.monitor);
  REQUIRE(north->EnrollFile(Request("N-1"), Known("coffee.jpg")).ok());
  // The monitor changes nothing.
  CHECK(scanner->EnrollFile(Request("M-1"), Known("rocket.jpg")).status().code() ==
        absl::StatusCode::kPermissionDenied);
  CHECK(scanner->Withdraw("N-1", "x").status().code() == absl::StatusCode::kPermissionDenied);
  // Another centre cannot withdraw North's case, nor enrol into it: to
  // South it does not exist, and its id is taken.
  CHECK(south->Withdraw("N-1", "x").status().code() == absl::StatusCode::kNotFound);
  CHECK(south->EnrollFile(Request("N-1"), Known("rocket.jpg")).status().code() ==
        absl::StatusCode::kAlreadyExists);
  std::unique_ptr<Catalog> check = server.Open(server.monitor);
  CHECK(check->MatchFile(Crawled("coffee_q60.jpg"))->matches.size() == 1);
  // A database without a catalog, and a URI holding a password, are refused.
  TestDatabase empty;
  REQUIRE(empty.error().empty());
  absl::StatusOr<std::unique_ptr<Catalog>> none = Catalog::Open(empty.OwnerUri());
  CHECK(none.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(none.status().message()), Catch::Contains("server init"));
  CHECK(Catalog::Open("postgresql://u:secret@127.0.0.1:1/x").status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace hashwatch::testing
