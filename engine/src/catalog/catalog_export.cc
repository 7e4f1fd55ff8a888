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
  catalog::RowStore& rows = *impl.rows;
  absl::StatusOr<std::optional<catalog::VideoItemRow>> item =
      rows.FindVideoItem(options.video_item);
  if (!item.ok()) return item.status();
  if (!item->has_value()) {
    return absl::NotFoundError(absl::StrCat("no item ", options.video_item, " in ", rows.name()));
  }
  const std::string case_id = (*item)->case_id;
  if ((*item)->media_kind != "video") {
    return absl::InvalidArgumentError(
        absl::StrCat("item ", options.video_item, " is not a video (", (*item)->media_kind, ")"));
  }
  if (!options.case_id.empty() && options.case_id != case_id) {
    return absl::InvalidArgumentError(absl::StrCat("item ", options.video_item,
                                                   " belongs to case '", case_id, "', not '",
                                                   options.case_id, "'"));
  }
  if ((*item)->withdrawn) {
    return absl::FailedPreconditionError(
        absl::StrCat("case '", case_id, "' was withdrawn; withdrawn hashes are never exported"));
  }
  const double interval = (*item)->sample_interval;
  const SignalType* pdq = FindSignalType("pdq");
  ExportResult result;
  result.cases = 1;
  char line[160];
  absl::Status s = rows.ForEachFrameRun(options.video_item, [&](const catalog::FrameRunRow& run) {
    const std::string hex = pdq->Format(run.hash);
    for (int64_t k = 0; k < run.samples; ++k) {
      // A run's moments are evenly spaced from its start to its end.
      const double t =
          run.samples > 1 ? run.start + (run.end - run.start) * k / (run.samples - 1) : run.start;
      // Sampled every `interval` s: the moment's index; every frame: the
      // decoded frame's number.
      const int64_t number =
          interval > 0 ? static_cast<int64_t>(std::llround(t / interval)) : run.frame_number + k;
      std::snprintf(line, sizeof line, "%lld,%lld,%s,%.3f\n", static_cast<long long>(number),
                    static_cast<long long>(run.quality), hex.c_str(), t);
      out << line;
      ++result.hashes;
    }
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
  catalog::RowStore& rows = *impl.rows;
  if (!options.case_id.empty()) {
    absl::StatusOr<std::optional<catalog::CaseRow>> found = rows.FindCase(options.case_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      return absl::NotFoundError(absl::StrCat("no case '", options.case_id, "' in ", rows.name()));
    }
    if ((*found)->withdrawn) {
      return absl::FailedPreconditionError(
          absl::StrCat("case '", options.case_id, "' was withdrawn on ", (*found)->withdrawn_at,
                       "; withdrawn hashes are never exported"));
    }
  }
  const SignalType* pdq = FindSignalType("pdq");
  ExportResult result;
  absl::flat_hash_set<std::string> cases;
  std::string last_case, last_case_field, last_label_field;
  out << "pdq_hex,quality,case,label\n";
  absl::Status s = rows.ForEachExportRow(
      options.case_id, [&](absl::Span<const uint8_t> hash, std::optional<int64_t> quality,
                           const std::string& case_id, const std::string& label) {
        if (case_id != last_case || result.hashes == 0) {
          last_case = case_id;
          last_case_field = CsvField(case_id);
          last_label_field = CsvField(label);
          cases.insert(case_id);
        }
        out << pdq->Format(hash) << ',';
        if (quality.has_value()) out << *quality;
        out << ',' << last_case_field << ',' << last_label_field << '\n';
        ++result.hashes;
      });
  if (!s.ok()) return s;
  out.flush();
  if (!out) return absl::UnavailableError("writing the hash list failed");
  result.cases = static_cast<int64_t>(cases.size());
  absl::StatusOr<int64_t> videos = rows.CountOpenVideos(options.case_id);
  if (!videos.ok()) return videos.status();
  result.videos_left_out = *videos;
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
  return impl.rows->AppendAudit("export", *who, now, details);
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
