// The messages between a process that isolates hashing and its worker
// processes (hashwatch/isolated_hasher.h): the hashing options, a request
// (a path), and an answer (the file's signals and, for a photo, the grey
// pixels the verification stage looks at, or the error). Encoded as CBOR
// (RFC 8949, through nlohmann::json), each message framed by its length.
//
// The parent trusts nothing a worker sends: Decode* check every field and
// its size, and refuse a message over kMaxMessageBytes.
//
// Pure functions; thread-safe.
#ifndef HASHWATCH_ISOLATION_MEDIA_WIRE_H_
#define HASHWATCH_ISOLATION_MEDIA_WIRE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hashwatch/embedding.h"
#include "hashwatch/image_hasher.h"
#include "hashwatch/media_hasher.h"
#include "hashwatch/video_hasher.h"
#include "media/decoded_image.h"

namespace hashwatch::isolation {

// No message is larger (a 4-hour video at one hash per second is ~2 MB; a
// photo's verification pixels at 640 x 640 floats 1.6 MB).
inline constexpr uint32_t kMaxMessageBytes = 64u << 20;

// What a worker needs to build its MediaHasher. The embedding model goes by
// its settings; the worker loads it itself.
struct WorkerConfig {
  HashOptions image;
  VideoOptions video;
  std::optional<EmbeddingModelOptions> embedding;
  // Also decode each photo for the verification stage (HashedMedia::pixels).
  bool verification_pixels = false;
};

// A worker's answer for one file.
struct HashedMedia {
  MediaSignals signals;
  // A photo's luma at the verification stage's size (DecodeImage with
  // working side kFeatureSide * 3 / 4, aspect kept), when asked for.
  std::shared_ptr<const DecodedImage> pixels;
};

std::vector<uint8_t> EncodeConfig(const WorkerConfig& config);
absl::StatusOr<WorkerConfig> DecodeConfig(const std::vector<uint8_t>& bytes);

// The worker's first answer, after the configuration: OK when its hasher is
// ready, else why not (a bad option, a model that does not load).
std::vector<uint8_t> EncodeReady(const absl::Status& status);
absl::Status DecodeReady(const std::vector<uint8_t>& bytes);

std::vector<uint8_t> EncodeRequest(const std::string& path);
absl::StatusOr<std::string> DecodeRequest(const std::vector<uint8_t>& bytes);

std::vector<uint8_t> EncodeAnswer(const absl::StatusOr<HashedMedia>& answer);
absl::StatusOr<HashedMedia> DecodeAnswer(const std::vector<uint8_t>& bytes);

// Framing on a stream socket or pipe: a 4-byte little-endian length, then
// the message. WriteMessage never raises SIGPIPE (the peer may be dead).
absl::Status WriteMessage(int fd, const std::vector<uint8_t>& message);
// Reads one message; `deadline_ms` < 0 waits for ever, else at most that
// long in all (DeadlineExceeded). NotFound when the peer closed the stream
// before a message began.
absl::StatusOr<std::vector<uint8_t>> ReadMessage(int fd, int64_t deadline_ms);

}  // namespace hashwatch::isolation

#endif  // HASHWATCH_ISOLATION_MEDIA_WIRE_H_
