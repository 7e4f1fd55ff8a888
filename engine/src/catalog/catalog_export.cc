// Catalog::ExportHashes: the open cases' PDQ hashes as a CSV hash list
// ("pdq_hex,quality,case,label"), the format ImportHashes reads back.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ostream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"
#include "hashwatch/signal_type.h"
#include "hashwatch/text.h"

namespace hashwatch {
namespace {

// One video item's frames as vPDQ lines; the caller holds write_mu.
absl::StatusOr<ExportResult> WriteVpdq(Catalog::Impl& impl, const ExportOptions& options,
                                       std::ostream& out) {
  absl::StatusOr<catalog::SqliteStatement> item = impl.db.Prepare(
      "SELECT i.case_id, i.media_kind, coalesce(i.sample_interval, 0), c.status FROM items i "
      "JOIN cases c ON c.id = i.case_id WHERE i.id = ?1");
  if (!item.ok()) return item.status();
  item->Bind(1, int64_t{options.video_item});
  absl::StatusOr<bool> found = item->Step();
  if (!found.ok()) return found.status();
  if (!*found) {
    return absl::NotFoundError(
        absl::StrCat("no item ", options.video_item, " in ", impl.db.path()));
  }
  const std::string case_id = item->Text(0);
  if (item->Text(1) != "video") {
    return absl::InvalidArgumentError(
        absl::StrCat("item ", options.video_item, " is not a video (", item->Text(1), ")"));
  }
  if (!options.case_id.empty() && options.case_id != case_id) {
    return absl::InvalidArgumentError(absl::StrCat("item ", options.video_item,
                                                   " belongs to case '", case_id, "', not '",
                                                   options.case_id, "'"));
  }
  if (item->Text(3) == "withdrawn") {
    return absl::FailedPreconditionError(
        absl::StrCat("case '", case_id, "' was withdrawn; withdrawn hashes are never exported"));
  }
  const double interval = item->Double(2);
  absl::StatusOr<catalog::SqliteStatement> q = impl.db.Prepare(
      "SELECT hash, coalesce(quality, 100), frame_time, coalesce(frame_end, frame_time), "
      "coalesce(frame_samples, 1), coalesce(frame_number, 0) FROM signals WHERE item_id = ?1 AND "
      "type = 'pdq' "
      "AND frame_time IS NOT NULL ORDER BY frame_time, id");
  if (!q.ok()) return q.status();
  q->Bind(1, int64_t{options.video_item});
  const SignalType* pdq = FindSignalType("pdq");
  ExportResult result;
  result.cases = 1;
  char line[160];
  absl::Status s = q->ForEachRow([&] {
    const std::string hex = pdq->Format(q->Blob(0));
    const double start = q->Double(2), end = q->Double(3);
    const int64_t samples = q->Int(4);
    for (int64_t k = 0; k < samples; ++k) {
      // A run's moments are evenly spaced from its start to its end.
      const double t = samples > 1 ? start + (end - start) * k / (samples - 1) : start;
      // Sampled every `interval` s: the moment's index; every frame: the
      // decoded frame's number.
      const int64_t number =
          interval > 0 ? static_cast<int64_t>(std::llround(t / interval)) : q->Int(5) + k;
      std::snprintf(line, sizeof line, "%lld,%lld,%s,%.3f\n", static_cast<long long>(number),
                    static_cast<long long>(q->Int(1)), hex.c_str(), t);
      out << line;
      ++result.hashes;
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  out.flush();
  if (!out) return absl::UnavailableError("writing the vPDQ list failed");
  return result;
}

// Writes the rows; the caller holds write_mu (the connection is shared).
absl::StatusOr<ExportResult> WriteRows(Catalog::Impl& impl, const ExportOptions& options,
                                       std::ostream& out) {
  if (options.video_item != 0) return WriteVpdq(impl, options, out);
  if (!options.case_id.empty()) {
    absl::StatusOr<std::optional<catalog::CaseRow>> found = impl.store->FindCase(options.case_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return absl::NotFoundError(
          absl::StrCat("no case '", options.case_id, "' in ", impl.db.path()));
    }
    if ((*found)->withdrawn) {
      return absl::FailedPreconditionError(
          absl::StrCat("case '", options.case_id, "' was withdrawn on ", (*found)->withdrawn_at,
                       "; withdrawn hashes are never exported"));
    }
  }
  // Two statements rather than "?1 = '' OR ...", so that one case's export
  // uses the items_by_case and signals_by_item indexes instead of a full scan.
  absl::StatusOr<catalog::SqliteStatement> q = impl.db.Prepare(
      options.case_id.empty()
          ? "SELECT s.hash, s.quality, i.case_id, c.label FROM signals s "
            "JOIN items i ON i.id = s.item_id JOIN cases c ON c.id = i.case_id "
            "WHERE s.type = 'pdq' AND s.frame_time IS NULL AND c.status = 'open' ORDER BY s.id"
          : "SELECT s.hash, s.quality, i.case_id, c.label FROM items i "
            "JOIN signals s ON s.item_id = i.id JOIN cases c ON c.id = i.case_id "
            "WHERE i.case_id = ?1 AND s.type = 'pdq' AND s.frame_time IS NULL AND "
            "c.status = 'open' ORDER BY s.id");
  if (!q.ok()) return q.status();
  if (!options.case_id.empty()) q->Bind(1, options.case_id);
  const SignalType* pdq = FindSignalType("pdq");
  ExportResult result;
  absl::flat_hash_set<std::string> cases;
  std::string last_case, last_case_field, last_label_field;
  out << "pdq_hex,quality,case,label\n";
  for (;;) {
    absl::StatusOr<bool> row = q->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const std::string case_id = q->Text(2);
    if (case_id != last_case || result.hashes == 0) {
      last_case = case_id;
      last_case_field = CsvField(case_id);
      last_label_field = CsvField(q->Text(3));
      cases.insert(case_id);
    }
    out << pdq->Format(q->Blob(0)) << ',';
    if (!q->IsNull(1)) out << q->Int(1);
    out << ',' << last_case_field << ',' << last_label_field << '\n';
    ++result.hashes;
  }
  out.flush();
  if (!out) return absl::UnavailableError("writing the hash list failed");
  result.cases = static_cast<int64_t>(cases.size());
  absl::StatusOr<catalog::SqliteStatement> videos = impl.db.Prepare(
      "SELECT count(*) FROM items i JOIN cases c ON c.id = i.case_id "
      "WHERE i.media_kind = 'video' AND c.status = 'open' AND (?1 = '' OR i.case_id = ?1)");
  if (!videos.ok()) return videos.status();
  videos->Bind(1, options.case_id);
  absl::StatusOr<bool> counted = videos->Step();
  if (!counted.ok()) return counted.status();
  result.videos_left_out = videos->Int(0);
  return result;
}

absl::Status AuditExport(Catalog::Impl& impl, const ExportOptions& options,
                         const ExportResult& result) {
  const std::string now = catalog::UtcTimestampNow();
  const std::string details = catalog::AuditDetails()
                                  .Add("case", options.case_id.empty() ? "*" : options.case_id)
                                  .Add("destination", options.destination)
                                  .Add("hashes", result.hashes)
                                  .Add("cases", result.cases)
                                  .Add("video_item", int64_t{options.video_item})
                                  .json();
  absl::StatusOr<std::string> who = catalog::OperatorOrDefault(options.operator_name);
  if (!who.ok()) return who.status();
  return impl.store->AppendAudit("export", *who, now, details);
}

// An ostream over a file descriptor, so the export can fsync before rename.
class FdStream : public std::streambuf {
 public:
  explicit FdStream(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  bool failed() const { return failed_; }

 protected:
  int overflow(int c) override {
    if (sync() != 0) return EOF;
    if (c != EOF) {
      *pptr() = static_cast<char>(c);
      pbump(1);
    }
    return c == EOF ? 0 : c;
  }
  int sync() override {
    const char* p = pbase();
    while (p < pptr()) {
      const ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        failed_ = true;
        return -1;
      }
      p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return 0;
  }

 private:
  int fd_;
  bool failed_ = false;
  char buf_[1 << 16];
};

// fsync of the folder holding `path`, so a rename or unlink in it survives a
// power cut.
absl::Status SyncFolderOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string folder =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int err = errno;
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat(folder, ": cannot sync the export's folder: ", std::strerror(err)));
  }
  ::close(fd);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ExportResult> Catalog::ExportHashes(const ExportOptions& options,
                                                   std::ostream& out) {
  if (!options.case_id.empty()) {
    if (absl::Status s = ValidateCaseId(options.case_id); !s.ok()) return s;
  }
  if (absl::Status s = ValidateOperatorName(options.operator_name); !s.ok()) return s;
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  absl::StatusOr<ExportResult> result = WriteRows(*impl_, options, out);
  if (!result.ok()) return result;
  if (absl::Status s = AuditExport(*impl_, options, *result); !s.ok()) return s;
  return result;
}

absl::StatusOr<ExportResult> Catalog::ExportHashesToFile(const ExportOptions& options,
                                                         const std::string& path) {
  if (!options.case_id.empty()) {
    if (absl::Status s = ValidateCaseId(options.case_id); !s.ok()) return s;
  }
  if (absl::Status s = ValidateOperatorName(options.operator_name); !s.ok()) return s;
  ExportOptions named = options;
  if (named.destination.empty()) named.destination = path;
  const std::string temp = absl::StrCat(path, ".tmp-", ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot create the export file: ", std::strerror(errno)));
  }
  auto fail = [&](absl::Status s) {
    ::close(fd);
    ::unlink(temp.c_str());
    return s;
  };
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  FdStream buf(fd);
  std::ostream out(&buf);
  absl::StatusOr<ExportResult> result = WriteRows(*impl_, named, out);
  if (!result.ok()) return fail(result.status());
  if (buf.failed() || ::fsync(fd) != 0) {
    return fail(absl::UnavailableError(
        absl::StrCat(path, ": writing the export failed: ", std::strerror(errno))));
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return absl::UnavailableError(
        absl::StrCat(path, ": writing the export failed: ", std::strerror(err)));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return absl::UnavailableError(
        absl::StrCat(path, ": cannot put the export in place: ", std::strerror(err)));
  }
  // The rename is durable only once its folder is synced; then the audit
  // records an export that exists. If the record cannot be written, the
  // file is taken back: no export leaves without its entry.
  absl::Status published = SyncFolderOf(path);
  if (published.ok()) published = AuditExport(*impl_, named, *result);
  if (!published.ok()) {
    ::unlink(path.c_str());
    (void)SyncFolderOf(path);
    return published;
  }
  return result;
}

}  // namespace hashwatch
