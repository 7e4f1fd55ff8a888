#include "drop_folder.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hashwatch::cli {
namespace fs = std::filesystem;

std::string DropFolder::Identity(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return "";
  return absl::StrCat(st.st_size, ":",
                      st.st_mtim.tv_sec * int64_t{1000000000} + st.st_mtim.tv_nsec);
}

absl::StatusOr<std::unique_ptr<DropFolder>> DropFolder::Open(const std::string& dir,
                                                             const std::string& journal,
                                                             std::function<bool()> stop) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return absl::NotFoundError(absl::StrCat(dir, ": not a folder to follow"));
  }
  // The journal: read back what was done, drop a torn last line.
  std::set<std::string> done;
  int64_t good_bytes = 0;
  {
    std::ifstream in(journal, std::ios::binary);
    std::string line;
    int64_t offset = 0;
    while (std::getline(in, line)) {
      const bool whole = !in.eof();  // ended by a newline
      offset += static_cast<int64_t>(line.size()) + (whole ? 1 : 0);
      if (!whole) break;
      Record r = Record::parse(line, nullptr, /*allow_exceptions=*/false);
      if (r.is_discarded() || !r.contains("path") || !r.contains("file_identity")) break;
      done.insert(r["path"].get<std::string>() + "\t" + r["file_identity"].get<std::string>());
      good_bytes = offset;
    }
  }
  const int jfd = ::open(journal.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (jfd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(journal, ": cannot open the journal: ", std::strerror(errno)));
  }
  if (::ftruncate(jfd, good_bytes) != 0 || ::lseek(jfd, good_bytes, SEEK_SET) < 0) {
    ::close(jfd);
    return absl::UnavailableError(absl::StrCat(journal, ": ", std::strerror(errno)));
  }
  const int ifd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ifd < 0 || ::inotify_add_watch(ifd, dir.c_str(), IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
    const int err = errno;
    if (ifd >= 0) ::close(ifd);
    ::close(jfd);
    return absl::UnavailableError(absl::StrCat(dir, ": cannot watch: ", std::strerror(err)));
  }
  std::unique_ptr<DropFolder> folder(new DropFolder(dir, ifd, jfd, std::move(stop)));
  folder->done_ = std::move(done);
  // What is there already (after the watch began, so nothing falls between).
  std::vector<std::string> present;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) present.push_back(e.path().string());
  }
  std::sort(present.begin(), present.end());
  for (const std::string& p : present) folder->Offer(p);
  return folder;
}

DropFolder::~DropFolder() {
  ::close(inotify_fd_);
  ::close(journal_fd_);
}

void DropFolder::Offer(const std::string& path) {
  const std::string identity = Identity(path);
  if (identity.empty()) return;
  const std::string key = path + "\t" + identity;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_.count(key) > 0) {
      ++already_done_;
      return;
    }
  }
  if (!offered_.insert(key).second) return;
  pending_.push_back(path);
}

std::optional<InputPath> DropFolder::Next() {
  for (;;) {
    if (stop_ && stop_()) return std::nullopt;
    if (!pending_.empty()) {
      InputPath next{pending_.front(), ""};
      pending_.pop_front();
      return next;
    }
    pollfd p{.fd = inotify_fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    alignas(inotify_event) char buf[16384];
    const ssize_t n = ::read(inotify_fd_, buf, sizeof buf);
    if (n <= 0) continue;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      if (ev->len > 0 && (ev->mask & IN_ISDIR) == 0) {
        Offer((fs::path(dir_) / ev->name).string());
      }
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
}

absl::Status DropFolder::Journal(const std::string& path, Record record) {
  const std::string identity = Identity(path);
  record["file_identity"] = identity;
  const std::string line = RecordWriter::Dump(record) + "\n";
  if (::write(journal_fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
      ::fdatasync(journal_fd_) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot write the journal: ", std::strerror(errno)));
  }
  std::lock_guard<std::mutex> lock(mu_);
  done_.insert(path + "\t" + identity);
  return absl::OkStatus();
}

}  // namespace hashwatch::cli
