// The shared deployment end to end: files in the server catalog's queue,
// `hashwatch worker` processes taking them, centres enrolling and
// withdrawing meanwhile; a worker killed with SIGKILL, a file that kills
// workers, the server restarted mid-scan, a catalog migrated in place.
// Every file gets exactly one stored result.
#include "hashwatch/scan_queue.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "catalog/pg/pg_conn.h"
#include "catalog/pg/pg_schema.h"
#include "cli/cli_test_support.h"
#include "hashwatch/catalog.h"
#include "hashwatch/server_catalog.h"
#include "pg_test_support.h"
#include "test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

// A server catalog with one centre's staff (who enrolled testdata/known as
// case K) and a monitor role for the queue and the workers.
struct Deployment {
  explicit Deployment(TestDatabase& database) : db(database) {}
  TestDatabase& db;
  std::string staff, monitor;

  bool Ready() {
    if (!db.error().empty()) {
      WARN("skipped: " << db.error());
      return false;
    }
    absl::StatusOr<ServerInitResult> init = InitServerCatalog(db.OwnerUri());
    INFO(init.status().ToString());
    REQUIRE(init.ok());
    staff = db.CreateLoginRole("staff");
    monitor = db.CreateLoginRole("monitor");
    REQUIRE(AddCentreStaff(db.OwnerUri(), "North", staff).ok());
    REQUIRE(AddMonitor(db.OwnerUri(), monitor).ok());
    const CommandResult enroll = RunCommand(Hw() + " enroll --db " + Q(db.UriAs(staff)) +
                                            " --case K " + Q(TestdataDir() / "known"));
    INFO(enroll.err);
    REQUIRE(enroll.exit_code == 0);
    return true;
  }
  std::string MonitorUri() const { return db.UriAs(monitor); }

  std::unique_ptr<ScanQueue> Queue() const {
    absl::StatusOr<std::unique_ptr<ScanQueue>> q = ScanQueue::Open(MonitorUri());
    INFO(q.status().ToString());
    REQUIRE(q.ok());
    return *std::move(q);
  }

  // Every stored result, by job id.
  std::map<int64_t, nlohmann::json> Results() const {
    std::map<int64_t, nlohmann::json> by_job;
    absl::StatusOr<std::vector<QueueResult>> all = Queue()->Results(0, 100000);
    REQUIRE(all.ok());
    for (const QueueResult& r : *all) by_job[r.job] = nlohmann::json::parse(r.record);
    return by_job;
  }

  // Waits (up to `seconds`) until at least `n` results are stored.
  bool WaitForResults(int64_t n, double seconds) const {
    std::unique_ptr<ScanQueue> q = Queue();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      absl::StatusOr<QueueStatus> s = q->Status();
      if (s.ok() && s->done >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
};

// The crawled photos; whether each is a copy of a known one.
std::vector<std::pair<std::string, bool>> CrawledPhotos() {
  std::vector<std::pair<std::string, bool>> out;
  for (const auto& e : fs::directory_iterator(TestdataDir() / "crawled")) {
    const std::string name = e.path().filename().string();
    const bool copy = name.find('_') != std::string::npos;  // coffee_q60.jpg, not blossom.jpg
    out.emplace_back(e.path().string(), copy);
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CheckRecords(const std::map<int64_t, nlohmann::json>& results,
                  const std::vector<std::pair<std::string, bool>>& photos) {
  std::map<std::string, bool> copy(photos.begin(), photos.end());
  for (const auto& [job, r] : results) {
    INFO("job " << job << ": " << r.dump());
    REQUIRE(r.contains("matches"));
    CHECK(r["matches"].empty() != copy.at(r["path"].get<std::string>()));
  }
}

TEST_CASE("Queue: a job's result is stored once, whoever finishes it", "[server]") {
  TestDatabase db;
  Deployment d(db);
  if (!d.Ready()) return;
  std::unique_ptr<ScanQueue> a = d.Queue(), b = d.Queue();
  absl::StatusOr<std::vector<int64_t>> ids = a->Enqueue({"/x/1.jpg", "/x/2.jpg", "/x/3.jpg"});
  REQUIRE(ids.ok());
  ClaimOptions first{.worker = "a", .max_jobs = 2, .lease_seconds = 0.5, .max_attempts = 3};
  ClaimOptions second{.worker = "b", .max_jobs = 5, .lease_seconds = 60, .max_attempts = 3};
  absl::StatusOr<std::vector<QueueJob>> got_a = a->Claim(first);
  REQUIRE(got_a.ok());
  REQUIRE(got_a->size() == 2);
  // Claimed jobs are skipped by others, not waited for.
  absl::StatusOr<std::vector<QueueJob>> got_b = b->Claim(second);
  REQUIRE(got_b.ok());
  REQUIRE(got_b->size() == 1);
  CHECK(got_b->front().id == (*ids)[2]);
  // a's lease expires: b takes its jobs and finishes them first.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  absl::StatusOr<std::vector<QueueJob>> retaken = b->Claim(second);
  REQUIRE(retaken.ok());
  REQUIRE(retaken->size() == 2);
  CHECK(retaken->front().attempts == 2);
  for (const QueueJob& j : *retaken) CHECK(*b->Finish(j, "b", false, "{\"by\":\"b\"}"));
  // a comes back late: nothing is written twice.
  for (const QueueJob& j : *got_a) CHECK_FALSE(*a->Finish(j, "a", true, "{\"by\":\"a\"}"));
  CHECK(*b->Finish(got_b->front(), "b", false, "{}"));
  absl::StatusOr<QueueStatus> status = a->Status();
  REQUIRE(status.ok());
  CHECK(status->done == 3);
  CHECK(status->queued == 0);
  absl::StatusOr<std::vector<QueueResult>> results = a->Results(0, 10);
  REQUIRE(results.ok());
  REQUIRE(results->size() == 3);
  for (const QueueResult& r : *results) CHECK(r.worker == "b");
  // Released jobs are ready at once and the claim is not counted.
  absl::StatusOr<std::vector<int64_t>> more = a->Enqueue({"/x/4.jpg"});
  REQUIRE(more.ok());
  absl::StatusOr<std::vector<QueueJob>> c = a->Claim(second);
  REQUIRE(c->size() == 1);
  REQUIRE(a->Release({c->front().id}, "b").ok());
  absl::StatusOr<std::vector<QueueJob>> again = b->Claim(second);
  REQUIRE(again->size() == 1);
  CHECK(again->front().attempts == 1);
}

TEST_CASE("Two centres enrol while three workers scan: every file gets one result", "[server]") {
  TestDatabase db;
  Deployment d(db);
  if (!d.Ready()) return;
  const std::string south = db.CreateLoginRole("south");
  REQUIRE(AddCentreStaff(db.OwnerUri(), "South", south).ok());
  const auto photos = CrawledPhotos();
  std::vector<std::string> paths;
  for (int round = 0; round < 3; ++round) {
    for (const auto& [p, copy] : photos) paths.push_back(p);
  }
  REQUIRE(d.Queue()->Enqueue(paths).ok());
  std::vector<std::unique_ptr<Conversation>> workers;
  for (int w = 0; w < 3; ++w) {
    workers.push_back(std::make_unique<Conversation>(Hw() + " worker --db " + Q(d.MonitorUri()) +
                                                     " --until-empty --jobs 1 --name w" +
                                                     std::to_string(w)));
  }
  // Meanwhile both centres enrol unrelated cases (new images: other
  // centres' new content must not disturb the scan).
  std::thread north_enrols([&] {
    for (int i = 0; i < 3; ++i) {
      RunCommand(Hw() + " enroll --db " + Q(db.UriAs(d.staff)) + " --case N-" + std::to_string(i) +
                 " " + Q(TestdataDir() / "crawled" / "blossom.jpg"));
    }
  });
  std::thread south_enrols([&] {
    for (int i = 0; i < 3; ++i) {
      RunCommand(Hw() + " enroll --db " + Q(db.UriAs(south)) + " --case S-" + std::to_string(i) +
                 " " + Q(TestdataDir() / "crawled" / "cameraman.jpg"));
    }
  });
  north_enrols.join();
  south_enrols.join();
  for (auto& w : workers) {
    const int status = w->Wait(300);
    INFO(w->Errors());
    CHECK(status == 0);
  }
  const std::map<int64_t, nlohmann::json> results = d.Results();
  REQUIRE(results.size() == paths.size());
  // The copies matched K; blossom and cameraman may also match the new
  // cases enrolled meanwhile, but never K.
  for (const auto& [job, r] : results) {
    INFO(r.dump());
    REQUIRE(r.contains("matches"));
    const std::string name = fs::path(r["path"].get<std::string>()).filename().string();
    bool matched_k = false;
    for (const auto& m : r["matches"]) matched_k |= m["case"] == "K";
    CHECK(matched_k == (name.find('_') != std::string::npos));
  }
}

TEST_CASE("A worker killed with SIGKILL mid-batch loses no file: another redoes its claims",
          "[server]") {
  TestDatabase db;
  Deployment d(db);
  if (!d.Ready()) return;
  TempDir dir;
  const auto photos = CrawledPhotos();
  std::vector<std::string> paths;
  for (const auto& [p, copy] : photos) paths.push_back(p);
  // A file the first worker's decoder hangs on (test hook), so that it is
  // surely mid-file when killed.
  const fs::path slow = dir.path() / "coffee_hangme.jpg";
  fs::copy_file(TestdataDir() / "crawled" / "coffee_q60.jpg", slow);
  paths.insert(paths.begin() + 3, slow.string());
  REQUIRE(d.Queue()->Enqueue(paths).ok());
  {
    Conversation doomed(Hw() + " worker --db " + Q(d.MonitorUri()) +
                            " --isolate --file-seconds 600 --lease 2 --jobs 2 --name doomed",
                        "HASHWATCH_WORKER_TEST_FAULT=hang:hangme");
    REQUIRE(d.WaitForResults(3, 120));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    doomed.Signal(SIGKILL);
    CHECK(doomed.Wait(30) == 128 + SIGKILL);
  }
  absl::StatusOr<QueueStatus> mid = d.Queue()->Status();
  REQUIRE(mid.ok());
  CHECK(mid->done < static_cast<int64_t>(paths.size()));  // the hung file at least is left
  // The second worker (no fault) waits out the dead worker's leases (2 s)
  // and finishes everything.
  const CommandResult rescue = RunCommand("timeout 300 " + Hw() + " worker --db " +
                                          Q(d.MonitorUri()) + " --until-empty --name rescue");
  INFO(rescue.err);
  CHECK(rescue.exit_code == 0);
  const std::map<int64_t, nlohmann::json> results = d.Results();
  REQUIRE(results.size() == paths.size());
  std::set<std::string> seen;
  for (const auto& [job, r] : results) seen.insert(r["path"].get<std::string>());
  CHECK(seen.size() == paths.size());
  auto with_slow = photos;
  with_slow.emplace_back(slow.string(), true);
  CheckRecords(results, with_slow);
  absl::StatusOr<std::vector<std::pair<QueueJob, std::string>>> parked = d.Queue()->Parked();
  CHECK(parked->empty());
}

TEST_CASE("A file that kills every worker that takes it is parked with the reason", "[server]") {
  TestDatabase db;
  Deployment d(db);
  if (!d.Ready()) return;
  TempDir dir;
  const fs::path deadly = dir.path() / "deadly_hangme.jpg";
  fs::copy_file(TestdataDir() / "crawled" / "coffee_q60.jpg", deadly);
  REQUIRE(d.Queue()->Enqueue({deadly.string()}).ok());
  for (int attempt = 0; attempt < 2; ++attempt) {
    Conversation worker(Hw() + " worker --db " + Q(d.MonitorUri()) +
                            " --isolate --file-seconds 600 --lease 1 --max-attempts 2",
                        "HASHWATCH_WORKER_TEST_FAULT=hang:hangme");
    // Claimed (lease live) means it is being worked on.
    std::unique_ptr<ScanQueue> q = d.Queue();
    for (int i = 0; i < 100 && q->Status()->claimed == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(q->Status()->claimed == 1);
    worker.Signal(SIGKILL);
    worker.Wait(30);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the lease expires
  }
  const CommandResult after = RunCommand("timeout 120 " + Hw() + " worker --db " +
                                         Q(d.MonitorUri()) + " --until-empty --max-attempts 2");
  INFO(after.err);
  CHECK(after.exit_code == 0);
  CHECK(after.out.empty());  // not scanned a third time
  const CommandResult parked = RunCommand(Hw() + " queue parked --db " + Q(d.MonitorUri()));
  REQUIRE(parked.exit_code == 0);
  const std::vector<nlohmann::json> lines = JsonLines(parked.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["path"] == deadly.string());
  CHECK_THAT(lines[0]["error"].get<std::string>(), Catch::Contains("claimed 2 times"));
}

TEST_CASE("The server restarted mid-scan: the worker reconnects, loses no file and no result",
          "[server]") {
  OwnTestCluster cluster;
  TestDatabase db(cluster);
  Deployment d(db);
  if (!d.Ready()) return;
  const auto photos = CrawledPhotos();
  std::vector<std::string> paths;
  for (int round = 0; round < 4; ++round) {
    for (const auto& [p, copy] : photos) paths.push_back(p);
  }
  REQUIRE(d.Queue()->Enqueue(paths).ok());
  Conversation worker(Hw() + " worker --db " + Q(d.MonitorUri()) +
                      " --until-empty --jobs 1 --freshness 0");
  REQUIRE(d.WaitForResults(5, 120));
  REQUIRE(cluster.Restart());
  const int status = worker.Wait(300);
  const std::string errors = worker.Errors();
  INFO(errors);
  CHECK((status == 0 || status == 1));  // 1: it says the server was gone for a while
  const std::map<int64_t, nlohmann::json> results = d.Results();
  CHECK(results.size() == paths.size());
  CheckRecords(results, photos);
}

TEST_CASE("A server catalog migrated in place keeps its cases and gains the queue", "[server]") {
  TestDatabase db;
  if (!db.error().empty()) {
    WARN("skipped: " << db.error());
    return;
  }
  {
    absl::StatusOr<catalog::pg::PgConn> owner = catalog::pg::PgConn::Connect(db.OwnerUri());
    REQUIRE(owner.ok());
    REQUIRE(catalog::pg::MigrateServerSchema(*owner, 1).ok());
    REQUIRE(*catalog::pg::InstalledServerSchemaVersion(*owner) == 1);
  }
  const std::string staff = db.CreateLoginRole("staff");
  const std::string monitor = db.CreateLoginRole("monitor");
  // Version 1 data, written as its staff would have: coffee's PDQ.
  REQUIRE(db.RunAsSuperuser(
      "INSERT INTO hashwatch.centres (id) VALUES ('North');"
      "INSERT INTO hashwatch.centre_staff VALUES ('" +
      staff +
      "', 'North');"
      "GRANT hashwatch_staff TO " +
      staff + "; GRANT hashwatch_monitor TO " + monitor +
      ";"
      "INSERT INTO hashwatch.cases (id, centre) VALUES ('OLD-1', 'North');"
      "INSERT INTO hashwatch.items (case_id, media_kind) VALUES ('OLD-1', 'hash');"
      "INSERT INTO hashwatch.signals (item_id, type, hash, quality) SELECT id, 'pdq', "
      "'\\x04629e779e66365cb983b8668827f27c21a779e61e36e1f8c79927e27c0299e0'::bytea, 100 FROM "
      "hashwatch.items"));
  // This build refuses the old version until the owner migrates it.
  absl::StatusOr<std::unique_ptr<Catalog>> old = Catalog::Open(db.UriAs(monitor));
  CHECK(old.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_THAT(std::string(old.status().message()), Catch::Contains("server init"));
  const CommandResult init = RunCommand(Hw() + " server init --db " + Q(db.OwnerUri()));
  INFO(init.err);
  REQUIRE(init.exit_code == 0);
  CHECK_THAT(init.out, Catch::Contains("migrated: schema version 1 -> 2"));
  absl::StatusOr<std::unique_ptr<Catalog>> migrated = Catalog::Open(db.UriAs(monitor));
  INFO(migrated.status().ToString());
  REQUIRE(migrated.ok());
  absl::StatusOr<MatchResult> m =
      (*migrated)->MatchFile((TestdataDir() / "crawled" / "coffee_q60.jpg").string());
  REQUIRE(m.ok());
  REQUIRE(m->matches.size() == 1);
  CHECK(m->matches[0].case_id == "OLD-1");
  absl::StatusOr<std::unique_ptr<ScanQueue>> queue = ScanQueue::Open(db.UriAs(monitor));
  REQUIRE(queue.ok());
  CHECK((*queue)->Enqueue({"/x.jpg"}).ok());
}

TEST_CASE("A withdrawal is seen by every scanner within the freshness bound", "[server]") {
  TestDatabase db;
  Deployment d(db);
  if (!d.Ready()) return;
  CatalogOptions bounded;
  bounded.max_staleness_seconds = 0.5;
  std::vector<std::unique_ptr<Catalog>> scanners;
  const std::string copy = (TestdataDir() / "crawled" / "coffee_q60.jpg").string();
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(d.MonitorUri(), bounded);
    REQUIRE(c.ok());
    REQUIRE((*c)->MatchFile(copy)->matches.size() == 1);
    scanners.push_back(*std::move(c));
  }
  const CommandResult w = RunCommand(Hw() + " withdraw --db " + Q(db.UriAs(d.staff)) + " --case K");
  INFO(w.err);
  REQUIRE(w.exit_code == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  for (auto& s : scanners) CHECK(s->MatchFile(copy)->matches.empty());
}

}  // namespace
}  // namespace hashwatch::testing
