// Reading untrusted files: a whole file into memory (images), or an open
// regular file read in pieces (videos, which may be gigabytes and must not be
// copied into memory whole). Both refuse what is not a regular file (a FIFO,
// a device) and files over a size limit before reading anything.
//
// Thread safety: ReadFile is reentrant. A RegularFile may be read from many
// threads at once (ReadAt uses pread); it is not copyable.
#ifndef HASHWATCH_MEDIA_FILE_READER_H_
#define HASHWATCH_MEDIA_FILE_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hashwatch::media {

// NotFound, PermissionDenied, FailedPrecondition (not a regular file),
// OutOfRange (over max_bytes) or an I/O error, each with the reason.
absl::StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path, int64_t max_bytes);

class RegularFile {
 public:
  // Opens without blocking (a FIFO never hangs the caller) and checks the
  // open file itself: errors as ReadFile.
  static absl::StatusOr<RegularFile> Open(const std::string& path, int64_t max_bytes);
  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  // Size when opened, in bytes.
  int64_t size() const { return size_; }
  // Reads up to `n` bytes at `offset`; returns the count (0 at the end) or
  // an I/O error.
  absl::StatusOr<size_t> ReadAt(int64_t offset, uint8_t* buffer, size_t n) const;

 private:
  RegularFile(int fd, int64_t size) : fd_(fd), size_(size) {}
  int fd_ = -1;
  int64_t size_ = 0;
};

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_FILE_READER_H_
