// ReadFile: a whole file into memory, refusing files over a size limit before
// reading them. Thread safety: reentrant.
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

}  // namespace hashwatch::media

#endif  // HASHWATCH_MEDIA_FILE_READER_H_
