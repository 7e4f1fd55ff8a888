#include "media/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hashwatch::media {
namespace {

absl::Status ErrnoStatus(int err, const char* what) {
  const std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case ENOENT: return absl::NotFoundError(msg);
    case EACCES:
    case EPERM: return absl::PermissionDeniedError(msg);
    default: return absl::UnavailableError(msg);
  }
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

absl::StatusOr<RegularFile> RegularFile::Open(const std::string& path, int64_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return ErrnoStatus(errno, "cannot open");
  Fd guard{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot stat");
  if (!S_ISREG(st.st_mode)) return absl::FailedPreconditionError("not a regular file");
  if (st.st_size > max_bytes) {
    return absl::OutOfRangeError(
        absl::StrCat("file is ", st.st_size, " bytes, over the limit of ", max_bytes));
  }
  guard.fd = -1;
  return RegularFile(fd, st.st_size);
}

RegularFile::RegularFile(RegularFile&& other) noexcept : fd_(other.fd_), size_(other.size_) {
  other.fd_ = -1;
}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    other.fd_ = -1;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<size_t> RegularFile::ReadAt(int64_t offset, uint8_t* buffer, size_t n) const {
  for (;;) {
    const ssize_t got = ::pread(fd_, buffer, n, offset);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) return ErrnoStatus(errno, "read failed");
  }
}

absl::StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path, int64_t max_bytes) {
  absl::StatusOr<RegularFile> file = RegularFile::Open(path, max_bytes);
  if (!file.ok()) return file.status();
  std::vector<uint8_t> bytes(static_cast<size_t>(file->size()));
  size_t done = 0;
  while (done < bytes.size()) {
    absl::StatusOr<size_t> n =
        file->ReadAt(static_cast<int64_t>(done), bytes.data() + done, bytes.size() - done);
    if (!n.ok()) return n.status();
    if (*n == 0) break;  // the file shrank while we read it
    done += *n;
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace hashwatch::media
