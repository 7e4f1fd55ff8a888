// ScanQueue: files to scan shared among machines, in the server catalog's
// database (hashwatch/server_catalog.h; docs/deployment.md explains why a
// PostgreSQL table rather than a separate queue server).
//
// At least once, with one result per file: a crawler enqueues paths; a
// worker claims a few (FOR UPDATE SKIP LOCKED, so workers never wait for each
// other) under a lease, matches them and finishes each with its result. A
// worker that dies mid-file loses nothing: its lease expires and another
// worker claims the file again. Finishing is idempotent: a file's result is
// written once, by whichever worker finishes it first; a later finish of the
// same job writes nothing. A file claimed max_attempts times without a
// result (it killed or hung every worker that took it) is parked with that
// error instead of being claimed again.
//
// Roles: the monitor role (AddMonitor) enqueues, claims and finishes.
//
// Thread safety: a ScanQueue is one connection; calls are serialised inside,
// so it may be shared by a worker's threads.
#ifndef HASHWATCH_SCAN_QUEUE_H_
#define HASHWATCH_SCAN_QUEUE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hashwatch {

struct QueueJob {
  int64_t id = 0;
  std::string path;
  int attempts = 0;  // this claim included
};

struct QueueStatus {
  int64_t queued = 0;   // waiting or claimed, not finished
  int64_t claimed = 0;  // of which under a live lease now
  int64_t done = 0;
  int64_t parked = 0;
};

struct QueueResult {
  int64_t job = 0;
  std::string path;
  std::string worker;
  bool matched = false;
  std::string record;  // the worker's JSON record of the file
};

struct ClaimOptions {
  std::string worker;          // the claimer's name (host:pid), for the table
  int max_jobs = 4;            // at most this many per claim
  double lease_seconds = 300;  // a claim not finished or renewed by then expires
  int max_attempts = 3;        // claims without a result before a job is parked
};

class ScanQueue {
 public:
  // Connects to the server catalog `uri` names (schema version 2 or later).
  static absl::StatusOr<std::unique_ptr<ScanQueue>> Open(const std::string& uri);
  ~ScanQueue();
  ScanQueue(const ScanQueue&) = delete;
  ScanQueue& operator=(const ScanQueue&) = delete;

  // Adds paths (1-4096 bytes each) in one transaction; returns their job ids.
  absl::StatusOr<std::vector<int64_t>> Enqueue(const std::vector<std::string>& paths);

  // Claims up to options.max_jobs ready jobs (queued, unclaimed or with an
  // expired lease), oldest first; first parks the expired ones that reached
  // options.max_attempts. Empty when none is ready.
  absl::StatusOr<std::vector<QueueJob>> Claim(const ClaimOptions& options);

  // Extends the leases of these jobs, while they are being worked on.
  absl::Status Renew(const std::vector<int64_t>& jobs, const ClaimOptions& options);

  // Gives back claimed jobs this worker will not work on (it is stopping):
  // ready for others at once, the claim not counted as an attempt.
  absl::Status Release(const std::vector<int64_t>& jobs, const std::string& worker);

  // Stores the job's result and marks it done, in one transaction. Returns
  // false when the job already had a result (another worker finished it
  // after this one's lease expired): nothing is written then.
  absl::StatusOr<bool> Finish(const QueueJob& job, const std::string& worker, bool matched,
                              const std::string& record_json);

  // Waits up to `seconds` for jobs to be enqueued (NOTIFY hashwatch_jobs);
  // returns early when they are. A missed notification costs at most the
  // wait: the caller claims again after it.
  absl::Status WaitForJobs(double seconds);

  absl::StatusOr<QueueStatus> Status();
  // Results with job id above `after`, oldest first, at most `limit`.
  absl::StatusOr<std::vector<QueueResult>> Results(int64_t after, int limit);
  // Parked jobs and why.
  absl::StatusOr<std::vector<std::pair<QueueJob, std::string>>> Parked();

  struct Impl;

 private:
  explicit ScanQueue(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_SCAN_QUEUE_H_
