// IsolatedHasher: MediaHasher's work (reading, decoding and hashing a file)
// done in worker processes, so that a decoder that crashes, aborts, loops or
// exhausts memory on a hostile file costs that one file, not the scan.
//
// Each worker is a separate executable (hashwatch-worker, which only calls
// RunHashWorker) started with posix_spawn and talked to over a socket. A
// worker has an address-space limit (RLIMIT_AS) and each file a wall-clock
// limit; a worker that dies or overruns is killed and replaced, and the file
// gets an error saying why:
//   Aborted            "the hash worker died of signal 11 (Segmentation fault)"
//   DeadlineExceeded   "the hash worker was killed after 60 s (time limit)"
//   ResourceExhausted  "out of memory (the hash worker's limit is 4096 MiB)"
// Ordinary per-file errors (not an image, truncated, over a limit) come back
// as MediaHasher's own. What isolation costs: docs/benchmarks.md.
//
// Under AddressSanitizer or ThreadSanitizer builds the memory limit is not
// applied (their shadow memory needs terabytes of address space).
//
// Thread safety: HashFile may be called from many threads at once; each call
// takes a free worker (waiting for one when all are busy).
#ifndef HASHWATCH_ISOLATED_HASHER_H_
#define HASHWATCH_ISOLATED_HASHER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hashwatch/media_hasher.h"

namespace hashwatch {

struct IsolationOptions {
  // Worker processes (at most this many files are hashed at once).
  int workers = 1;
  // Address space of each worker, in bytes (RLIMIT_AS). Decoding a 100 MP
  // image takes about 1.2 GB.
  int64_t memory_limit_bytes = int64_t{4} << 30;
  // Wall-clock time one file may take; <= 0: the limits' max_decode_seconds
  // plus 60 s (the decoders stop themselves at max_decode_seconds; this is
  // the backstop for a decoder that never returns).
  double time_limit_seconds = 0;
  // The worker executable; empty: $HASHWATCH_WORKER, else hashwatch-worker in
  // the folder of the running program, else in the folder the engine was
  // built into.
  std::string worker_path;
  // Also send back each photo's pixels for the verification stage (what a
  // catalog's matcher needs; HashedFile::pixels).
  bool verification_pixels = false;
};

struct DecodedImage;

// A file hashed by a worker.
struct HashedFile {
  MediaSignals signals;
  // A photo's grey pixels at the verification stage's size, when asked for
  // (IsolationOptions::verification_pixels); never stored anywhere.
  std::shared_ptr<const DecodedImage> pixels;
};

class IsolatedHasher {
 public:
  // Checks the options as MediaHasher::Create does and starts one worker to
  // prove the executable runs (the others start when first needed).
  static absl::StatusOr<std::unique_ptr<IsolatedHasher>> Create(const HashOptions& image,
                                                                const VideoOptions& video,
                                                                const IsolationOptions& isolation);
  ~IsolatedHasher();  // stops the workers
  IsolatedHasher(const IsolatedHasher&) = delete;
  IsolatedHasher& operator=(const IsolatedHasher&) = delete;

  // As MediaHasher::HashFile, in a worker. Error messages start with the path.
  absl::StatusOr<HashedFile> HashFile(const std::string& path) const;

  const IsolationOptions& options() const;

 private:
  struct Impl;
  explicit IsolatedHasher(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The worker's side: what the hashwatch-worker executable's main calls (a
// program embedding the engine may offer the same by calling it). Reads its
// configuration and then one request after another on standard input,
// answers on standard output, and returns the process's exit status when
// the parent closes the stream.
int RunHashWorker(int argc, char** argv);

}  // namespace hashwatch

#endif  // HASHWATCH_ISOLATED_HASHER_H_
