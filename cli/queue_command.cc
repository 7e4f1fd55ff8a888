// hashwatch queue: put files into a server catalog's scan queue, and read
// what the workers found (hashwatch/scan_queue.h, docs/deployment.md).
#include <cstdio>
#include <string>
#include <vector>

#include "catalog_options.h"
#include "commands.h"
#include "hashwatch/scan_queue.h"
#include "input_paths.h"
#include "record_writer.h"
#include "stop_signal.h"

namespace hashwatch::cli {
namespace {

struct QueueArgs {
  std::string db;
  std::vector<std::string> paths;
  int64_t after = 0;
  int limit = 1000;
};

std::unique_ptr<ScanQueue> OpenQueue(const std::string& command, const std::string& db) {
  absl::StatusOr<std::unique_ptr<ScanQueue>> queue = ScanQueue::Open(db);
  if (!queue.ok()) {
    ReportError(command, queue.status());
    return nullptr;
  }
  return *std::move(queue);
}

int RunAdd(const QueueArgs& args) {
  std::unique_ptr<ScanQueue> queue = OpenQueue("queue add", args.db);
  if (queue == nullptr) return kExitUsage;
  InstallStopHandlers();
  // Paths go in as they come (folders listed, '-' read line by line), a
  // batch per transaction.
  InputPaths inputs(args.paths, STDIN_FILENO, [] { return StopSignal() != 0; });
  std::vector<std::string> batch;
  int64_t added = 0;
  auto flush = [&]() -> bool {
    if (batch.empty()) return true;
    absl::StatusOr<std::vector<int64_t>> ids = queue->Enqueue(batch);
    if (!ids.ok()) {
      ReportError("queue add", ids.status());
      return false;
    }
    added += static_cast<int64_t>(ids->size());
    batch.clear();
    return true;
  };
  while (std::optional<InputPath> in = inputs.Next()) {
    if (!in->error.empty()) {
      ReportError("queue add", absl::NotFoundError(in->error));
      continue;
    }
    batch.push_back(in->path);
    // With paths from stdin, each line is queued as it arrives.
    if (batch.size() >= 1000 || inputs.known_total() == 0) {
      if (!flush()) return kExitSomeFailed;
    }
  }
  if (!flush()) return kExitSomeFailed;
  std::fprintf(stderr, "hashwatch queue add: %lld files queued\n", static_cast<long long>(added));
  if (const int signal = StopSignal(); signal != 0) return StoppedExitCode(signal);
  return kExitOk;
}

int RunStatus(const QueueArgs& args) {
  std::unique_ptr<ScanQueue> queue = OpenQueue("queue status", args.db);
  if (queue == nullptr) return kExitUsage;
  absl::StatusOr<QueueStatus> s = queue->Status();
  if (!s.ok()) {
    ReportError("queue status", s.status());
    return kExitSomeFailed;
  }
  Record r;
  r["queued"] = s->queued;
  r["claimed"] = s->claimed;
  r["done"] = s->done;
  r["parked"] = s->parked;
  std::printf("%s\n", RecordWriter::Dump(r).c_str());
  return kExitOk;
}

int RunResults(const QueueArgs& args) {
  std::unique_ptr<ScanQueue> queue = OpenQueue("queue results", args.db);
  if (queue == nullptr) return kExitUsage;
  absl::StatusOr<std::vector<QueueResult>> results = queue->Results(args.after, args.limit);
  if (!results.ok()) {
    ReportError("queue results", results.status());
    return kExitSomeFailed;
  }
  RecordWriter writer(OutputFormat::kJsonl, {});
  for (const QueueResult& q : *results) {
    Record r = Record::parse(q.record, nullptr, /*allow_exceptions=*/false);
    if (r.is_discarded()) r = Record{{"path", q.path}};
    r["job"] = q.job;
    r["worker"] = q.worker;
    writer.Write(r);
  }
  return kExitOk;
}

int RunParked(const QueueArgs& args) {
  std::unique_ptr<ScanQueue> queue = OpenQueue("queue parked", args.db);
  if (queue == nullptr) return kExitUsage;
  absl::StatusOr<std::vector<std::pair<QueueJob, std::string>>> parked = queue->Parked();
  if (!parked.ok()) {
    ReportError("queue parked", parked.status());
    return kExitSomeFailed;
  }
  RecordWriter writer(OutputFormat::kJsonl, {});
  for (const auto& [job, why] : *parked) {
    writer.Write(
        Record{{"job", job.id}, {"path", job.path}, {"attempts", job.attempts}, {"error", why}});
  }
  return kExitOk;
}

}  // namespace

void RegisterQueueCommand(CLI::App& app, int& exit_code) {
  CLI::App* queue = app.add_subcommand(
      "queue", "Put files into a server catalog's scan queue, and read the workers' results");
  queue->require_subcommand(1);
  queue->footer(
      "The queue lives in the server catalog (schema version 2); `hashwatch worker`\n"
      "processes take files from it. Paths must be readable by the workers (a shared\n"
      "file system). Used by the monitor role.\n"
      "Details: docs/deployment.md");
  auto add = std::make_shared<QueueArgs>();
  CLI::App* add_cmd = queue->add_subcommand("add", "Queue files (folders walked; '-': stdin)");
  add_cmd->footer("Example: find /crawl -type f | hashwatch queue add --db URI -");
  AddServerDbOption(add_cmd, add->db);
  add_cmd->add_option("paths", add->paths, "Files, folders, or - for paths on stdin")->required();
  add_cmd->callback([add, &exit_code] { exit_code = RunAdd(*add); });

  auto status = std::make_shared<QueueArgs>();
  CLI::App* status_cmd = queue->add_subcommand("status", "Queued, claimed, done and parked files");
  AddServerDbOption(status_cmd, status->db);
  status_cmd->callback([status, &exit_code] { exit_code = RunStatus(*status); });

  auto results = std::make_shared<QueueArgs>();
  CLI::App* results_cmd = queue->add_subcommand(
      "results", "The stored results (jsonl, as scan prints them, with job and worker)");
  AddServerDbOption(results_cmd, results->db);
  results_cmd->add_option("--after", results->after, "Only jobs with a larger id")
      ->capture_default_str();
  results_cmd->add_option("--limit", results->limit, "At most this many")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  results_cmd->callback([results, &exit_code] { exit_code = RunResults(*results); });

  auto parked = std::make_shared<QueueArgs>();
  CLI::App* parked_cmd =
      queue->add_subcommand("parked", "Files parked after killing or hanging workers, and why");
  AddServerDbOption(parked_cmd, parked->db);
  parked_cmd->callback([parked, &exit_code] { exit_code = RunParked(*parked); });
}

}  // namespace hashwatch::cli
