// RunHashWorker: the worker process's side of IsolatedHasher. Reads its
// configuration, then paths, one at a time, on standard input; answers each
// with the file's signals (and, when asked, a photo's verification pixels)
// on standard output.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hashwatch/isolated_hasher.h"
#include "isolation/media_wire.h"
#include "media/file_reader.h"
#include "media/image_decoder.h"
#include "signals/local_features.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HASHWATCH_WORKER_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HASHWATCH_WORKER_SANITIZED 1
#endif

namespace hashwatch {
namespace {

constexpr int kIn = 0, kOut = 1;

// Faults on purpose, for the tests only: $HASHWATCH_WORKER_TEST_FAULT holds
// "crash:TEXT", "hang:TEXT" or "oom:TEXT" entries (comma-separated), and a
// file whose path contains TEXT makes the worker crash (SIGSEGV), hang, or
// allocate until its memory limit. An environment variable of the process
// that starts the workers: no file's content or name can set it.
void MaybeFault(const std::string& path) {
  static const std::string spec = [] {
    const char* s = std::getenv("HASHWATCH_WORKER_TEST_FAULT");
    return std::string(s == nullptr ? "" : s);
  }();
  if (spec.empty()) return;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipEmpty())) {
    const size_t colon = entry.find(':');
    if (colon == absl::string_view::npos || colon + 1 == entry.size()) continue;
    const absl::string_view what = entry.substr(0, colon), text = entry.substr(colon + 1);
    if (path.find(std::string(text)) == std::string::npos) continue;
    if (what == "crash") {
      // The default action, not a sanitizer's handler (which would report
      // and abort): the worker dies of SIGSEGV as from a decoder's bug.
      ::signal(SIGSEGV, SIG_DFL);
      ::raise(SIGSEGV);
    } else if (what == "hang") {
      for (;;) std::this_thread::sleep_for(std::chrono::hours(1));
    } else if (what == "oom") {
      std::vector<std::vector<char>> hog;
      for (;;) hog.emplace_back(size_t{64} << 20, 'x');  // until bad_alloc
    }
  }
}

absl::StatusOr<isolation::HashedMedia> HashOne(const MediaHasher& hasher,
                                               const isolation::WorkerConfig& config,
                                               const std::string& path) {
  MaybeFault(path);
  // A photo's verification pixels are the decode its signals came from
  // (HashOptions::verification_pixels): decoded here, never in the parent.
  isolation::HashedMedia media;
  absl::StatusOr<MediaSignals> signals =
      hasher.HashFile(path, config.verification_pixels ? &media.pixels : nullptr);
  if (!signals.ok()) return signals.status();
  media.signals = *std::move(signals);
  return media;
}

}  // namespace

int RunHashWorker(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  // A stop request (SIGTERM from a service manager to the whole group,
  // Ctrl-C in a terminal) is the parent's to handle: it lets the files in
  // flight finish, then closes the workers' input, which ends them.
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGINT, SIG_IGN);
  // Gone with the parent: a worker must never outlive the scan that made it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return 3;
  int64_t memory_limit = 0;
  for (int i = 1; i < argc; ++i) {
    const absl::string_view arg = argv[i];
    if (arg.substr(0, 15) == "--memory-limit=") {
      if (!absl::SimpleAtoi(arg.substr(15), &memory_limit)) return 2;
    }
  }
#ifndef HASHWATCH_WORKER_SANITIZED
  if (memory_limit > 0) {
    const rlimit limit = {.rlim_cur = static_cast<rlim_t>(memory_limit),
                          .rlim_max = static_cast<rlim_t>(memory_limit)};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) return 4;
  }
#endif
  absl::StatusOr<std::vector<uint8_t>> hello = isolation::ReadMessage(kIn, -1);
  if (!hello.ok()) return 2;
  absl::StatusOr<isolation::WorkerConfig> config = isolation::DecodeConfig(*hello);
  absl::Status ready = config.status();
  if (ready.ok() && config->embedding.has_value()) {
    absl::StatusOr<std::shared_ptr<const EmbeddingModel>> model =
        EmbeddingModel::Load(*config->embedding);
    ready = model.status();
    if (model.ok()) config->image.embedding = *std::move(model);
  }
  std::optional<MediaHasher> hasher;
  if (ready.ok()) {
    // Pixels asked for are the ones the signals are computed from.
    config->image.verification_pixels = config->verification_pixels;
    absl::StatusOr<MediaHasher> created = MediaHasher::Create(config->image, config->video);
    ready = created.status();
    if (created.ok()) hasher.emplace(*std::move(created));
  }
  if (!isolation::WriteMessage(kOut, isolation::EncodeReady(ready)).ok() || !ready.ok()) {
    return 2;
  }
  const std::string memory_note =
      memory_limit > 0 ? absl::StrCat("the hash worker's limit is ", memory_limit >> 20, " MiB")
                       : "no limit was set";
  for (;;) {
    absl::StatusOr<std::vector<uint8_t>> request = isolation::ReadMessage(kIn, -1);
    if (absl::IsNotFound(request.status())) return 0;  // the parent is done
    if (!request.ok()) return 2;
    absl::StatusOr<std::string> path = isolation::DecodeRequest(*request);
    if (!path.ok()) return 2;
    absl::StatusOr<isolation::HashedMedia> answer;
    try {
      answer = HashOne(*hasher, *config, *path);
    } catch (const std::bad_alloc&) {
      answer =
          absl::ResourceExhaustedError(absl::StrCat(*path, ": out of memory (", memory_note, ")"));
    } catch (const std::exception& e) {
      answer = absl::InternalError(absl::StrCat(*path, ": ", e.what()));
    }
    if (!isolation::WriteMessage(kOut, isolation::EncodeAnswer(answer)).ok()) return 2;
  }
}

}  // namespace hashwatch
