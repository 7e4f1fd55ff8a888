// FileDigests: the digest signal types ("sha256", "md5") of a file's bytes,
// computed in one pass over pieces of the file, so a video of gigabytes is
// digested without being held in memory. Gives the same values as the
// "sha256" and "md5" SignalTypes compute from a whole buffer.
//
// Thread safety: one FileDigests per stream of bytes; not shared.
#ifndef HASHWATCH_SIGNALS_FILE_DIGESTS_H_
#define HASHWATCH_SIGNALS_FILE_DIGESTS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/signal.h"

namespace hashwatch::signals {

class FileDigests {
 public:
  // InvalidArgument for a name that is not a digest type.
  static absl::StatusOr<FileDigests> Create(const std::vector<std::string>& names);
  FileDigests(FileDigests&&) noexcept;
  FileDigests& operator=(FileDigests&&) noexcept;
  ~FileDigests();

  void Update(absl::Span<const uint8_t> piece);
  // The digests, in the order of `names`. Call once.
  absl::StatusOr<std::vector<Signal>> Finish();

 private:
  struct State;
  explicit FileDigests(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// True for the names FileDigests accepts.
bool IsDigestType(std::string_view name);

}  // namespace hashwatch::signals

#endif  // HASHWATCH_SIGNALS_FILE_DIGESTS_H_
