// ScanQueue (hashwatch/scan_queue.h) on the server catalog's jobs and
// results tables (pg_schema.cc, version 2).
#include "hashwatch/scan_queue.h"

#include <poll.h>

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "catalog/pg/pg_conn.h"
#include "catalog/pg/pg_schema.h"

namespace hashwatch {

using catalog::pg::PgConn;
using catalog::pg::PgParam;
using catalog::pg::PgResult;
using catalog::pg::PgTransaction;

struct ScanQueue::Impl {
  explicit Impl(PgConn c) : conn(std::move(c)) {}
  std::mutex mu;
  PgConn conn;
  int listening_generation = -1;  // the connection generation LISTEN was issued on
};

namespace {

// A bigint[] parameter ("{1,2,3}").
std::string IdList(const std::vector<int64_t>& ids) {
  std::string text = "{";
  for (size_t i = 0; i < ids.size(); ++i) absl::StrAppend(&text, i ? "," : "", ids[i]);
  return text + "}";
}

std::string Interval(double seconds) {
  return absl::StrCat(seconds, " seconds");
}

}  // namespace

ScanQueue::ScanQueue(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ScanQueue::~ScanQueue() = default;

absl::StatusOr<std::unique_ptr<ScanQueue>> ScanQueue::Open(const std::string& uri) {
  absl::StatusOr<PgConn> conn = PgConn::Connect(uri);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = catalog::pg::CheckServerSchema(*conn); !s.ok()) return s;
  return std::unique_ptr<ScanQueue>(new ScanQueue(std::make_unique<Impl>(*std::move(conn))));
}

absl::StatusOr<std::vector<int64_t>> ScanQueue::Enqueue(const std::vector<std::string>& paths) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  PgConn& conn = impl_->conn;
  for (const std::string& p : paths) {
    if (p.empty() || p.size() > 4096) {
      return absl::InvalidArgumentError("a queued path is 1-4096 bytes");
    }
  }
  absl::StatusOr<PgTransaction> txn = PgTransaction::Begin(&conn);
  if (!txn.ok()) return txn.status();
  std::vector<int64_t> ids;
  ids.reserve(paths.size());
  for (const std::string& p : paths) {
    absl::StatusOr<int64_t> id = conn.QueryInt(
        "INSERT INTO hashwatch.jobs (path) VALUES ($1) RETURNING id", {PgParam::Text(p)});
    if (!id.ok()) return id.status();
    ids.push_back(*id);
  }
  if (absl::Status s = txn->Commit(); !s.ok()) return s;
  return ids;
}

absl::StatusOr<std::vector<QueueJob>> ScanQueue::Claim(const ClaimOptions& options) {
  if (options.max_jobs < 1 || !(options.lease_seconds > 0) || options.max_attempts < 1) {
    return absl::InvalidArgumentError(
        "claim: max_jobs, lease_seconds and max_attempts must be > 0");
  }
  std::lock_guard<std::mutex> lock(impl_->mu);
  PgConn& conn = impl_->conn;
  // Jobs whose lease expired after their last allowed attempt: every worker
  // that took them died or hung on them.
  absl::StatusOr<PgResult> parked = conn.Query(
      "UPDATE hashwatch.jobs SET state = 'parked', last_error = 'claimed ' || attempts || "
      "' times without a result: the file may crash or hang workers (last worker: ' || "
      "coalesce(claimed_by, '?') || ')' WHERE state = 'queued' AND claim_expires < now() AND "
      "attempts >= $1",
      {PgParam::Int(options.max_attempts)});
  if (!parked.ok()) return parked.status();
  absl::StatusOr<PgResult> r = conn.Query(
      "UPDATE hashwatch.jobs SET attempts = attempts + 1, claimed_by = $1, claim_expires = now() "
      "+ $2::interval WHERE id IN (SELECT id FROM hashwatch.jobs WHERE state = 'queued' AND "
      "(claim_expires IS NULL OR claim_expires < now()) ORDER BY id LIMIT $3 FOR UPDATE SKIP "
      "LOCKED) RETURNING id, path, attempts",
      {PgParam::Text(options.worker), PgParam::Text(Interval(options.lease_seconds)),
       PgParam::Int(options.max_jobs)});
  if (!r.ok()) return r.status();
  std::vector<QueueJob> jobs;
  for (int i = 0; i < r->rows(); ++i) {
    jobs.push_back(
        {.id = r->Int(i, 0), .path = r->Text(i, 1), .attempts = static_cast<int>(r->Int(i, 2))});
  }
  std::sort(jobs.begin(), jobs.end(),
            [](const QueueJob& a, const QueueJob& b) { return a.id < b.id; });
  return jobs;
}

absl::Status ScanQueue::Renew(const std::vector<int64_t>& jobs, const ClaimOptions& options) {
  if (jobs.empty()) return absl::OkStatus();
  const std::string ids = IdList(jobs);
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->conn
      .Query(
          "UPDATE hashwatch.jobs SET claim_expires = now() + $2::interval WHERE id = "
          "ANY($1::bigint[]) AND state = 'queued' AND claimed_by = $3",
          {PgParam::Text(ids), PgParam::Text(Interval(options.lease_seconds)),
           PgParam::Text(options.worker)})
      .status();
}

absl::Status ScanQueue::Release(const std::vector<int64_t>& jobs, const std::string& worker) {
  if (jobs.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->conn
      .Query(
          "UPDATE hashwatch.jobs SET claim_expires = NULL, attempts = greatest(attempts - 1, 0) "
          "WHERE id = ANY($1::bigint[]) AND state = 'queued' AND claimed_by = $2",
          {PgParam::Text(IdList(jobs)), PgParam::Text(worker)})
      .status();
}

absl::StatusOr<bool> ScanQueue::Finish(const QueueJob& job, const std::string& worker, bool matched,
                                       const std::string& record_json) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  PgConn& conn = impl_->conn;
  absl::StatusOr<PgTransaction> txn = PgTransaction::Begin(&conn);
  if (!txn.ok()) return txn.status();
  absl::StatusOr<PgResult> inserted = conn.Query(
      "INSERT INTO hashwatch.results (job_id, path, worker, matched, record) VALUES ($1, $2, $3, "
      "$4, $5::jsonb) ON CONFLICT (job_id) DO NOTHING",
      {PgParam::Int(job.id), PgParam::Text(job.path), PgParam::Text(worker),
       PgParam::Text(matched ? "true" : "false"), PgParam::Text(record_json)});
  if (!inserted.ok()) return inserted.status();
  const bool written = inserted->affected() == 1;
  absl::StatusOr<PgResult> done = conn.Query(
      "UPDATE hashwatch.jobs SET state = 'done', claim_expires = NULL WHERE id = $1 AND state "
      "<> 'done'",
      {PgParam::Int(job.id)});
  if (!done.ok()) return done.status();
  if (absl::Status s = txn->Commit(); !s.ok()) return s;
  return written;
}

absl::Status ScanQueue::WaitForJobs(double seconds) {
  int fd = -1;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    if (impl_->listening_generation != impl_->conn.generation() || !impl_->conn.ok()) {
      if (absl::Status s = impl_->conn.Exec("LISTEN hashwatch_jobs"); !s.ok()) return s;
      impl_->listening_generation = impl_->conn.generation();
    }
    absl::StatusOr<std::vector<std::string>> pending = impl_->conn.TakeNotifications();
    if (!pending.ok()) return pending.status();
    if (!pending->empty()) return absl::OkStatus();
    fd = impl_->conn.socket();
  }
  pollfd p{.fd = fd, .events = POLLIN, .revents = 0};
  ::poll(&p, 1, static_cast<int>(seconds * 1000));
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->conn.TakeNotifications().status();
}

absl::StatusOr<QueueStatus> ScanQueue::Status() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<PgResult> r = impl_->conn.Query(
      "SELECT count(*) FILTER (WHERE state = 'queued'), count(*) FILTER (WHERE state = 'queued' "
      "AND claim_expires > now()), count(*) FILTER (WHERE state = 'done'), count(*) FILTER "
      "(WHERE state = 'parked') FROM hashwatch.jobs");
  if (!r.ok()) return r.status();
  return QueueStatus{.queued = r->Int(0, 0),
                     .claimed = r->Int(0, 1),
                     .done = r->Int(0, 2),
                     .parked = r->Int(0, 3)};
}

absl::StatusOr<std::vector<QueueResult>> ScanQueue::Results(int64_t after, int limit) {
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<PgResult> r = impl_->conn.Query(
      "SELECT job_id, path, worker, matched, record::text FROM hashwatch.results WHERE job_id > "
      "$1 ORDER BY job_id LIMIT $2",
      {PgParam::Int(after), PgParam::Int(limit)});
  if (!r.ok()) return r.status();
  std::vector<QueueResult> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back({.job = r->Int(i, 0),
                   .path = r->Text(i, 1),
                   .worker = r->Text(i, 2),
                   .matched = r->Text(i, 3) == "t",
                   .record = r->Text(i, 4)});
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<QueueJob, std::string>>> ScanQueue::Parked() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  absl::StatusOr<PgResult> r = impl_->conn.Query(
      "SELECT id, path, attempts, coalesce(last_error, '') FROM hashwatch.jobs WHERE state = "
      "'parked' ORDER BY id");
  if (!r.ok()) return r.status();
  std::vector<std::pair<QueueJob, std::string>> out;
  for (int i = 0; i < r->rows(); ++i) {
    out.push_back(
        {{.id = r->Int(i, 0), .path = r->Text(i, 1), .attempts = static_cast<int>(r->Int(i, 2))},
         r->Text(i, 3)});
  }
  return out;
}

}  // namespace hashwatch
