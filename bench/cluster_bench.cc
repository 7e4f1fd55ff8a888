// hashwatch-bench cluster: the shared deployment on a PostgreSQL server
// (issue 10 item 7). Results and the command: docs/benchmarks.md, "Cluster".
//
// 1. Fill: a server catalog of --items random PDQ hashes (one item each,
//    1,000 per case, written in bulk by the owner through the same tables and
//    triggers as enrolment, change numbers included), plus the known photos
//    of --known enrolled by a centre's staff through the API.
// 2. Throughput: for each count in --workers, that many `hashwatch worker`
//    processes (monitor role) are started and wait until each has loaded the
//    catalog; then --files-per-run paths (the photos of --files, repeated) are
//    queued and the time until every result is stored is taken. One worker is
//    the baseline of the others (scaling on this machine).
// 3. Withdrawal propagation: --probes catalogs (monitor role, default
//    options: a follower thread and a 1 s freshness bound), each holding the
//    whole catalog, as workers do. A staff catalog imports a new case's hash;
//    once every probe matches it, the case is withdrawn; from the moment
//    Withdraw returned, each probe searches the hash every 2 ms until it no
//    longer matches. A trial's latency is the slowest probe's; --trials of
//    them give p50 and p99.
// 4. Catch-up: a catalog that follows nothing (no follower, no bound) stands
//    for a worker offline while --catch-up items are imported; then its
//    Refresh (the catch-up from its change number) is timed beside opening
//    the catalog afresh (reloading everything), the baseline.
//
// Nothing here asserts a time; the exit status reflects errors and wrong
// matches only.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "bench_commands.h"
#include "catalog/pg/pg_conn.h"
#include "hashwatch/catalog.h"
#include "hashwatch/scan_queue.h"
#include "hashwatch/server_catalog.h"
#include "measure.h"

extern char** environ;

namespace hashwatch::bench {
namespace {

namespace fs = std::filesystem;
using catalog::pg::PgConn;

struct Config {
  std::string db;  // the owner's URI; empty: a throw-away cluster of our own
  int64_t items = 1'000'000;
  std::vector<int> workers = {1, 2, 4};
  std::string files = std::string(HASHWATCH_SOURCE_DIR) + "/testdata/crawled";
  std::string known = std::string(HASHWATCH_SOURCE_DIR) + "/testdata/known";
  int files_per_run = 300;
  int probes = 3;
  int trials = 50;
  int64_t catch_up = 100'000;
  std::string json;
};

std::string Percentiles(const std::vector<double>& v) {
  if (v.empty()) return "none";
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.1f ms, p99 %.1f ms, max %.1f ms (n=%zu)",
                Quantile(v, 0.5) * 1e3, Quantile(v, 0.99) * 1e3, Quantile(v, 1.0) * 1e3, v.size());
  return buf;
}

// A child process with its stderr on a pipe (to see "ready").
struct Child {
  pid_t pid = -1;
  int err = -1;
  std::string seen;

  static Child Start(const std::vector<std::string>& args) {
    Child c;
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return c;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (::posix_spawn(&c.pid, argv[0], &actions, nullptr, argv.data(), environ) != 0) c.pid = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipefd[1]);
    c.err = pipefd[0];
    return c;
  }
  // Waits until stderr shows `text` (or the deadline passes).
  bool WaitFor(const std::string& text, double seconds) {
    const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    while (seen.find(text) == std::string::npos && Clock::now() < deadline) {
      pollfd p{.fd = err, .events = POLLIN, .revents = 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(err, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<size_t>(n));
    }
    return seen.find(text) != std::string::npos;
  }
  int Stop() {
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
};

std::string UriWithUser(const std::string& owner_uri, const std::string& user) {
  const size_t scheme = owner_uri.find("://");
  const size_t at = owner_uri.find('@');
  return owner_uri.substr(0, scheme + 3) + user + owner_uri.substr(at);
}

std::string RandomHex(std::mt19937_64& rng) {
  std::string hex;
  for (int i = 0; i < 64; ++i) hex += "0123456789abcdef"[rng() % 16];
  return hex;
}

int Fail(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "hashwatch-bench cluster: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

int Run(const Config& config) {
  nlohmann::json out;
  // 0. The server.
  std::string owner = config.db;
  std::string own_dir;
  if (owner.empty()) {
    char templ[] = "/tmp/hashwatch-bench-pg-XXXXXX";
    own_dir = ::mkdtemp(templ);
    const std::string start =
        std::string(HASHWATCH_SOURCE_DIR) + "/scripts/pg_cluster.sh start " + own_dir;
    FILE* p = ::popen(start.c_str(), "r");
    char line[512] = {};
    if (p == nullptr || std::fgets(line, sizeof line, p) == nullptr) {
      std::fprintf(stderr, "cannot start a PostgreSQL cluster\n");
      return 1;
    }
    ::pclose(p);
    owner = line;
    while (!owner.empty() && (owner.back() == '\n')) owner.pop_back();
  }
  struct StopCluster {
    std::string dir;
    ~StopCluster() {
      if (dir.empty()) return;
      const std::string stop =
          std::string(HASHWATCH_SOURCE_DIR) + "/scripts/pg_cluster.sh stop " + dir;
      (void)std::system(stop.c_str());
      fs::remove_all(dir);
    }
  } stop_cluster{own_dir};
  std::printf("server: %s\n", owner.c_str());
  if (absl::StatusOr<ServerInitResult> init = InitServerCatalog(owner); !init.ok()) {
    return Fail("init", init.status());
  }
  absl::StatusOr<PgConn> admin = PgConn::Connect(owner);
  if (!admin.ok()) return Fail("connect", admin.status());
  for (const char* sql :
       {"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_staff') THEN "
        "CREATE ROLE bench_staff LOGIN; END IF; IF NOT EXISTS (SELECT FROM pg_roles WHERE "
        "rolname = 'bench_monitor') THEN CREATE ROLE bench_monitor LOGIN; END IF; END $$"}) {
    if (absl::Status s = admin->Exec(sql); !s.ok()) return Fail("roles", s);
  }
  if (absl::Status s = AddCentreStaff(owner, "Bench", "bench_staff"); !s.ok()) {
    return Fail("staff", s);
  }
  if (absl::Status s = AddMonitor(owner, "bench_monitor"); !s.ok()) return Fail("monitor", s);
  const std::string staff_uri = UriWithUser(owner, "bench_staff");
  const std::string monitor_uri = UriWithUser(owner, "bench_monitor");

  // 1. Fill.
  absl::StatusOr<int64_t> have =
      admin->QueryInt("SELECT count(*) FROM hashwatch.items WHERE case_id LIKE 'BENCH-%'");
  if (!have.ok()) return Fail("count", have.status());
  if (*have < config.items) {
    const Clock::time_point t0 = Clock::now();
    const int64_t from = *have, to = config.items;
    const std::string sql = absl::StrCat(
        "BEGIN;"
        "INSERT INTO hashwatch.cases (id, centre) SELECT 'BENCH-' || k, 'Bench' FROM "
        "generate_series(",
        from / 1000, ", ", (to - 1) / 1000,
        ") k ON CONFLICT DO NOTHING;"
        "WITH new_items AS (INSERT INTO hashwatch.items (case_id, media_kind) SELECT 'BENCH-' || "
        "(g / 1000), 'hash' FROM generate_series(",
        from, ", ", to - 1,
        ") g RETURNING id) INSERT INTO hashwatch.signals (item_id, type, hash, quality) SELECT "
        "id, 'pdq', decode(md5(random()::text) || md5(random()::text), 'hex'), 100 FROM "
        "new_items;"
        "COMMIT");
    if (absl::Status s = admin->Exec(sql); !s.ok()) return Fail("fill", s);
    std::printf("fill: %lld items in %.1f s\n", static_cast<long long>(to - from),
                Seconds(t0, Clock::now()));
  }
  {
    absl::StatusOr<std::unique_ptr<Catalog>> staff = Catalog::Open(staff_uri);
    if (!staff.ok()) return Fail("open as staff", staff.status());
    for (const auto& e : fs::directory_iterator(config.known)) {
      absl::StatusOr<EnrollResult> r = (*staff)->EnrollFile(
          {.case_id = "KNOWN", .label = "", .source_note = "", .operator_name = "bench"},
          e.path().string());
      if (!r.ok()) return Fail("enrol", r.status());
    }
  }
  out["items"] = config.items;

  // 2. Throughput.
  std::vector<std::string> photos;
  for (const auto& e : fs::directory_iterator(config.files)) {
    if (e.is_regular_file()) photos.push_back(e.path().string());
  }
  std::sort(photos.begin(), photos.end());
  absl::StatusOr<std::unique_ptr<ScanQueue>> queue = ScanQueue::Open(monitor_uri);
  if (!queue.ok()) return Fail("queue", queue.status());
  const std::string hw = std::string(HASHWATCH_BIN_DIR) + "/hashwatch";
  double one_worker = 0;
  for (int w : config.workers) {
    std::vector<Child> workers;
    const Clock::time_point load0 = Clock::now();
    for (int i = 0; i < w; ++i) {
      workers.push_back(Child::Start({hw, "worker", "--db", monitor_uri, "--jobs", "1", "--name",
                                      absl::StrCat("bench-", w, "-", i)}));
    }
    for (Child& c : workers) {
      if (!c.WaitFor("ready", 600)) {
        std::fprintf(stderr, "a worker did not get ready:\n%s\n", c.seen.c_str());
        return 1;
      }
    }
    const double load = Seconds(load0, Clock::now());
    absl::StatusOr<QueueStatus> before = (*queue)->Status();
    if (!before.ok()) return Fail("status", before.status());
    std::vector<std::string> batch;
    for (int i = 0; i < config.files_per_run; ++i) batch.push_back(photos[i % photos.size()]);
    const Clock::time_point t0 = Clock::now();
    if (absl::StatusOr<std::vector<int64_t>> ids = (*queue)->Enqueue(batch); !ids.ok()) {
      return Fail("enqueue", ids.status());
    }
    for (;;) {
      absl::StatusOr<QueueStatus> s = (*queue)->Status();
      if (!s.ok()) return Fail("status", s.status());
      if (s->done + s->parked >= before->done + before->parked + config.files_per_run) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const double secs = Seconds(t0, Clock::now());
    for (Child& c : workers) c.Stop();
    const double rate = config.files_per_run / secs;
    if (w == config.workers.front()) one_worker = rate;
    std::printf(
        "throughput: %d worker(s): %d files in %.2f s = %.1f files/s (x%.2f of %d); "
        "loading the catalog took %.1f s\n",
        w, config.files_per_run, secs, rate, one_worker > 0 ? rate / one_worker : 1.0,
        config.workers.front(), load);
    out["throughput"].push_back({{"workers", w},
                                 {"files", config.files_per_run},
                                 {"seconds", secs},
                                 {"files_per_second", rate},
                                 {"load_seconds", load}});
  }
  // Every copy matched, nothing else.
  absl::StatusOr<std::vector<QueueResult>> results = (*queue)->Results(0, 1'000'000);
  if (!results.ok()) return Fail("results", results.status());
  int64_t wrong = 0;
  for (const QueueResult& r : *results) {
    const std::string name = fs::path(r.path).filename().string();
    if (r.matched != (name.find('_') != std::string::npos)) ++wrong;
  }
  std::printf("results: %zu stored, %lld with an unexpected match or miss\n", results->size(),
              static_cast<long long>(wrong));
  out["wrong_results"] = wrong;

  // The queue's own cost per file: claims and finishes with no matching.
  {
    const int n = 1000;
    std::vector<std::string> fake(n, "/nonexistent/queue-overhead.jpg");
    if (absl::StatusOr<std::vector<int64_t>> ids = (*queue)->Enqueue(fake); !ids.ok()) {
      return Fail("enqueue", ids.status());
    }
    const ClaimOptions claim{
        .worker = "overhead", .max_jobs = 1, .lease_seconds = 60, .max_attempts = 3};
    const Clock::time_point t0 = Clock::now();
    int finished = 0;
    for (;;) {
      absl::StatusOr<std::vector<QueueJob>> jobs = (*queue)->Claim(claim);
      if (!jobs.ok()) return Fail("claim", jobs.status());
      if (jobs->empty()) break;
      for (const QueueJob& j : *jobs) {
        if (absl::StatusOr<bool> f = (*queue)->Finish(j, claim.worker, false, "{}"); !f.ok()) {
          return Fail("finish", f.status());
        }
        ++finished;
      }
    }
    const double secs = Seconds(t0, Clock::now());
    std::printf(
        "queue: %d claims + finishes (one job each, no matching) in %.2f s = %.2f ms a "
        "file\n",
        finished, secs, secs * 1e3 / std::max(1, finished));
    out["queue_ms_per_file"] = secs * 1e3 / std::max(1, finished);
  }

  // 3. Withdrawal propagation.
  std::vector<std::unique_ptr<Catalog>> probes;
  const Clock::time_point probe0 = Clock::now();
  for (int i = 0; i < config.probes; ++i) {
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(monitor_uri);
    if (!c.ok()) return Fail("open probe", c.status());
    probes.push_back(*std::move(c));
  }
  std::printf("propagation: %d probe catalogs loaded in %.1f s\n", config.probes,
              Seconds(probe0, Clock::now()));
  absl::StatusOr<std::unique_ptr<Catalog>> staff = Catalog::Open(staff_uri);
  if (!staff.ok()) return Fail("open as staff", staff.status());
  MatchOptions plain;
  plain.dihedral = false;
  plain.query_views = plain.stored_views = plain.verify = plain.embedding = false;
  std::mt19937_64 rng(7);
  std::vector<double> slowest, each;
  int64_t errors = 0;
  for (int t = 0; t < config.trials; ++t) {
    const std::string hex = RandomHex(rng);
    const std::string case_id = absl::StrCat("PROBE-", t, "-", rng() % 1000000);
    std::istringstream list(hex + "\n");
    if (absl::StatusOr<ImportResult> r = (*staff)->ImportHashes(
            {.case_id = case_id, .label = "", .source_name = "bench", .operator_name = "bench"},
            list);
        !r.ok()) {
      return Fail("import", r.status());
    }
    Signal pdq;
    pdq.type = "pdq";
    pdq.hash.resize(32);
    for (int i = 0; i < 32; ++i) pdq.hash[i] = std::stoi(hex.substr(2 * i, 2), nullptr, 16);
    pdq.quality = 100;
    for (auto& p : probes) {  // every probe sees it first
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(30);
      while (Clock::now() < deadline) {
        absl::StatusOr<MatchResult> m = p->MatchSignal(pdq, plain);
        if (m.ok() && !m->matches.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
    if (absl::StatusOr<WithdrawResult> w = (*staff)->Withdraw(case_id, "bench"); !w.ok()) {
      return Fail("withdraw", w.status());
    }
    const Clock::time_point committed = Clock::now();
    std::vector<double> latency(probes.size(), -1);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < probes.size(); ++i) {
      threads.emplace_back([&, i] {
        const Clock::time_point deadline = committed + std::chrono::seconds(30);
        while (Clock::now() < deadline) {
          absl::StatusOr<MatchResult> m = probes[i]->MatchSignal(pdq, plain);
          if (m.ok() && m->matches.empty()) {
            latency[i] = Seconds(committed, Clock::now());
            return;
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
      });
    }
    for (auto& th : threads) th.join();
    double worst = 0;
    for (double l : latency) {
      if (l < 0) {
        ++errors;
        continue;
      }
      each.push_back(l);
      worst = std::max(worst, l);
    }
    slowest.push_back(worst);
  }
  std::printf(
      "propagation: withdrawal -> last of %d probes refusing the match: %s; per probe: "
      "%s; %lld probes still matching after 30 s\n",
      config.probes, Percentiles(slowest).c_str(), Percentiles(each).c_str(),
      static_cast<long long>(errors));
  out["propagation"] = {{"probes", config.probes},
                        {"trials", config.trials},
                        {"p50_seconds", Quantile(slowest, 0.5)},
                        {"p99_seconds", Quantile(slowest, 0.99)},
                        {"max_seconds", Quantile(slowest, 1.0)},
                        {"not_propagated", errors}};
  probes.clear();

  // 4. Catch-up after being offline for --catch-up changes.
  CatalogOptions offline;
  offline.follow_changes = false;
  offline.max_staleness_seconds = std::numeric_limits<double>::infinity();
  absl::StatusOr<std::unique_ptr<Catalog>> sleeper = Catalog::Open(monitor_uri, offline);
  if (!sleeper.ok()) return Fail("open offline", sleeper.status());
  const Clock::time_point import0 = Clock::now();
  for (int64_t done = 0; done < config.catch_up;) {
    const int64_t n = std::min<int64_t>(10'000, config.catch_up - done);
    std::string text;
    for (int64_t i = 0; i < n; ++i) absl::StrAppend(&text, RandomHex(rng), "\n");
    std::istringstream list(text);
    if (absl::StatusOr<ImportResult> r =
            (*staff)->ImportHashes({.case_id = absl::StrCat("CATCHUP-", done),
                                    .label = "",
                                    .source_name = "bench",
                                    .operator_name = "bench"},
                                   list);
        !r.ok()) {
      return Fail("import", r.status());
    }
    done += n;
  }
  std::printf("catch-up: %lld changes imported meanwhile in %.1f s\n",
              static_cast<long long>(config.catch_up), Seconds(import0, Clock::now()));
  const Clock::time_point c0 = Clock::now();
  if (absl::Status s = (*sleeper)->Refresh(); !s.ok()) return Fail("refresh", s);
  const double catch_up = Seconds(c0, Clock::now());
  const Clock::time_point r0 = Clock::now();
  absl::StatusOr<std::unique_ptr<Catalog>> fresh = Catalog::Open(monitor_uri, offline);
  if (!fresh.ok()) return Fail("reopen", fresh.status());
  const double reload = Seconds(r0, Clock::now());
  const int64_t caught = (*sleeper)->Stats()->indexed_hashes;
  const int64_t reloaded = (*fresh)->Stats()->indexed_hashes;
  std::printf(
      "catch-up: %.2f s for %lld changes, beside %.2f s to load everything afresh "
      "(baseline; %.1fx); indexed after catch-up %lld, after reload %lld%s\n",
      catch_up, static_cast<long long>(config.catch_up), reload, reload / catch_up,
      static_cast<long long>(caught), static_cast<long long>(reloaded),
      caught == reloaded ? " (equal)" : " (DIFFERENT)");
  out["catch_up"] = {{"changes", config.catch_up},
                     {"catch_up_seconds", catch_up},
                     {"reload_seconds", reload},
                     {"indexed_equal", caught == reloaded}};
  if (!config.json.empty()) std::ofstream(config.json) << out.dump(2) << "\n";
  return (wrong == 0 && errors == 0 && caught == reloaded) ? 0 : 1;
}

}  // namespace

int RunClusterBench(int argc, char** argv) {
  Config config;
  std::string workers = "1,2,4";
  CLI::App app{
      "The shared deployment on a PostgreSQL server: worker throughput, withdrawal "
      "propagation, catch-up (docs/benchmarks.md, \"Cluster\")"};
  app.name("hashwatch-bench cluster");
  app.add_option("--db", config.db,
                 "The database owner's URI (default: a throw-away cluster of the bench's own)");
  app.add_option("--items", config.items, "Random hashes in the catalog")->capture_default_str();
  app.add_option("--workers", workers, "Worker counts to measure")->capture_default_str();
  app.add_option("--files", config.files, "Photos to scan (repeated)")->capture_default_str();
  app.add_option("--known", config.known, "Photos enrolled (their copies in --files match)")
      ->capture_default_str();
  app.add_option("--files-per-run", config.files_per_run, "Files queued per throughput run")
      ->capture_default_str();
  app.add_option("--probes", config.probes, "Catalogs that must refuse a withdrawn case")
      ->capture_default_str();
  app.add_option("--trials", config.trials, "Withdrawals timed")->capture_default_str();
  app.add_option("--catch-up", config.catch_up, "Changes made while a catalog is offline")
      ->capture_default_str();
  app.add_option("--json", config.json, "Also write the results here");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  config.workers.clear();
  for (absl::string_view w : absl::StrSplit(workers, ',')) {
    config.workers.push_back(std::stoi(std::string(w)));
  }
  return Run(config);
}

}  // namespace hashwatch::bench
