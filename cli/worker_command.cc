// hashwatch worker: a long-running scanner for the shared deployment. It
// loads the server catalog once, then takes files from the scan queue
// (hashwatch/scan_queue.h), matches them and stores each file's result,
// following the catalog's changes as it goes (docs/deployment.md).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "catalog_options.h"
#include "commands.h"
#include "hashwatch/ordered_parallel.h"
#include "hashwatch/scan_queue.h"
#include "match_options.h"
#include "match_record.h"
#include "stop_signal.h"

namespace hashwatch::cli {
namespace {

struct WorkerArgs {
  std::string db;
  MatchArgs m;
  std::string name;
  double lease = 300;
  int max_attempts = 3;
  bool until_empty = false;
};

std::string DefaultWorkerName() {
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return std::string(host) + ":" + std::to_string(::getpid());
}

// The leases of the jobs this worker holds, renewed every lease/3 seconds
// on a thread of its own, so that a long video never loses its claim.
class LeaseKeeper {
 public:
  LeaseKeeper(ScanQueue& queue, ClaimOptions claim) : queue_(queue), claim_(std::move(claim)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LeaseKeeper() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void Hold(int64_t job) {
    std::lock_guard<std::mutex> lock(mu_);
    held_.insert(job);
  }
  void Release(int64_t job) {
    std::lock_guard<std::mutex> lock(mu_);
    held_.erase(job);
  }

 private:
  void Run() {
    const auto every = std::chrono::duration<double>(claim_.lease_seconds / 3);
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, every, [&] { return done_; })) {
      std::vector<int64_t> jobs(held_.begin(), held_.end());
      lock.unlock();
      if (absl::Status s = queue_.Renew(jobs, claim_); !s.ok()) {
        ReportError("worker", absl::Status(s.code(), "warning: cannot renew leases: " +
                                                         std::string(s.message())));
      }
      lock.lock();
    }
  }

  ScanQueue& queue_;
  const ClaimOptions claim_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<int64_t> held_;
  bool done_ = false;
  std::thread thread_;
};

int RunWorker(const WorkerArgs& args) {
  if (args.db.rfind("postgresql://", 0) != 0 && args.db.rfind("postgres://", 0) != 0) {
    std::fprintf(stderr,
                 "hashwatch worker: --db must be a server catalog (postgresql://...): the queue "
                 "lives there; for a catalog file, use scan\n");
    return kExitUsage;
  }
  CatalogOptions options;
  MatchOptions match;
  if (!ApplyMatchArgs("worker", args.m, &options, &match)) return kExitUsage;
  std::unique_ptr<Catalog> catalog =
      OpenCatalogOrReport("worker", args.db, /*create=*/false, options);
  if (catalog == nullptr) return kExitUsage;
  absl::StatusOr<std::unique_ptr<ScanQueue>> queue = ScanQueue::Open(args.db);
  if (!queue.ok()) {
    ReportError("worker", queue.status());
    return kExitUsage;
  }
  const ClaimOptions claim{.worker = args.name.empty() ? DefaultWorkerName() : args.name,
                           .max_jobs = std::max(1, args.m.jobs),
                           .lease_seconds = args.lease,
                           .max_attempts = args.max_attempts};
  InstallStopHandlers();
  LeaseKeeper leases(**queue, claim);
  if (absl::StatusOr<CatalogStats> stats = catalog->Stats(); stats.ok()) {
    std::fprintf(stderr, "hashwatch worker %s: ready, %lld hashes indexed\n", claim.worker.c_str(),
                 static_cast<long long>(stats->indexed_hashes));
  }
  std::deque<QueueJob> claimed;
  int64_t files = 0, failed = 0, not_written = 0;
  bool queue_failed = false;
  RecordWriter writer(OutputFormat::kJsonl, {});
  // Claims when it runs out; waits for new jobs (NOTIFY, or a second) when
  // there are none; ends on SIGTERM, or with --until-empty when no job is
  // left queued (claimed by others included: their leases may expire).
  auto next = [&]() -> std::optional<QueueJob> {
    while (StopSignal() == 0) {
      if (!claimed.empty()) {
        QueueJob job = std::move(claimed.front());
        claimed.pop_front();
        return job;
      }
      absl::StatusOr<std::vector<QueueJob>> jobs = (*queue)->Claim(claim);
      if (!jobs.ok()) {
        ReportError("worker", jobs.status());
        queue_failed = true;
        std::this_thread::sleep_for(std::chrono::seconds(1));  // the server may come back
        continue;
      }
      for (QueueJob& j : *jobs) {
        leases.Hold(j.id);
        claimed.push_back(std::move(j));
      }
      if (!claimed.empty()) continue;
      if (args.until_empty) {
        absl::StatusOr<QueueStatus> status = (*queue)->Status();
        if (status.ok() && status->queued == 0) return std::nullopt;
      }
      (void)(*queue)->WaitForJobs(1.0);
    }
    return std::nullopt;
  };
  OrderedParallelStream<QueueJob, absl::StatusOr<MatchResult>>(
      next, args.m.jobs, [&](const QueueJob& job) { return catalog->MatchFile(job.path, match); },
      [&](QueueJob&& job, absl::StatusOr<MatchResult>&& result) {
        // The catalog's server, not the file, failed (it restarted): the
        // file is matched again once the server is back; no result is
        // stored for it before. On SIGTERM meanwhile it goes back to the
        // queue (not counted as an attempt).
        while (!result.ok() && result.status().code() == absl::StatusCode::kUnavailable &&
               !catalog->Refresh().ok()) {
          ReportError("worker",
                      absl::Status(result.status().code(),
                                   "catalog unavailable, " + job.path +
                                       " waits for it: " + std::string(result.status().message())));
          if (StopSignal() != 0) {
            if (absl::Status s = (*queue)->Release({job.id}, claim.worker); !s.ok()) {
              ReportError("worker", s);  // its lease expires instead
            }
            leases.Release(job.id);
            return;
          }
          std::this_thread::sleep_for(std::chrono::seconds(1));
          result = catalog->MatchFile(job.path, match);
        }
        ++files;
        if (!result.ok()) ++failed;
        const Record record = FileRecord(job.path, result, match);
        const bool matched = result.ok() && !result->matches.empty();
        // Stored first, then printed: a result on stdout is on the server.
        bool stored = false;
        for (;;) {
          absl::StatusOr<bool> written =
              (*queue)->Finish(job, claim.worker, matched, RecordWriter::Dump(record));
          if (written.ok()) {
            if (!*written) ++not_written;  // another worker finished it first
            stored = true;
            break;
          }
          ReportError("worker",
                      absl::Status(written.status().code(),
                                   "cannot store the result of " + job.path +
                                       " (retrying): " + std::string(written.status().message())));
          if (StopSignal() != 0) break;  // its lease expires; another worker redoes it
          std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        leases.Release(job.id);
        if (stored) writer.Write(record);
      });
  // Claimed but not started (stopped): back to the queue at once.
  std::vector<int64_t> unstarted;
  for (const QueueJob& j : claimed) unstarted.push_back(j.id);
  if (absl::Status s = (*queue)->Release(unstarted, claim.worker); !s.ok()) {
    ReportError("worker", s);
  }
  ScanSummary summary;
  summary.files = files;
  summary.failed_files = failed;
  summary.options = match;
  if (absl::Status s = catalog->RecordScan(summary, ""); !s.ok()) ReportError("worker", s);
  std::fprintf(stderr, "hashwatch worker %s: %lld files, %lld could not be read%s\n",
               claim.worker.c_str(), static_cast<long long>(files), static_cast<long long>(failed),
               not_written > 0 ? ", some already finished by another worker" : "");
  if (const int signal = StopSignal(); signal != 0) return StoppedExitCode(signal);
  return queue_failed ? kExitSomeFailed : kExitOk;
}

}  // namespace

void RegisterWorkerCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "worker", "Scan files from the shared queue of a server catalog, until stopped");
  cmd->footer(
      "Loads the server catalog once (--db postgresql://...), then claims files that\n"
      "`hashwatch queue add` put in its queue, --jobs at a time, matches them like\n"
      "scan, and stores each file's result (`hashwatch queue results`); it also prints\n"
      "each record (jsonl) once stored. Other roles' enrolments and withdrawals are\n"
      "followed within --freshness seconds, without reloading. Claims are leases\n"
      "(--lease), renewed while a file is worked on: a worker that dies loses nothing,\n"
      "another takes its files when the lease expires; a file whose claims expired\n"
      "--max-attempts times is parked (`hashwatch queue parked`). A file's result is\n"
      "stored once. Use --isolate on crawled content. SIGTERM: no new file is claimed,\n"
      "the files in flight are finished and stored, exit status 143.\n"
      "Exit status: 0 stopped with --until-empty, 1 the queue could not be reached at\n"
      "some point, 2 usage or catalog error, 143/130 stopped by SIGTERM/SIGINT.\n"
      "Example: hashwatch worker --db postgresql://crawler@db.example/hashwatch --jobs 4 "
      "--isolate\n"
      "Details: docs/deployment.md");
  AddDbOption(cmd, args->db);
  AddMatchArgs(cmd, args->m);
  cmd->add_option("--name", args->name, "This worker's name in the queue (default host:pid)");
  cmd->add_option("--lease", args->lease,
                  "Seconds a claim lasts unless renewed (renewed every third of it)")
      ->check(FiniteRange(1.0, 24 * 3600.0))
      ->capture_default_str();
  cmd->add_option("--max-attempts", args->max_attempts,
                  "Claims that may expire without a result before a file is parked")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  cmd->add_flag("--until-empty", args->until_empty,
                "Stop when no file is left queued, instead of waiting for more");
  cmd->callback([args, &exit_code] { exit_code = RunWorker(*args); });
}

}  // namespace hashwatch::cli
