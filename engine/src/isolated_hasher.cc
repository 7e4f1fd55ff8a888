// IsolatedHasher: a pool of hash worker processes (isolation/).
#include "hashwatch/isolated_hasher.h"

#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "isolation/media_wire.h"
#include "isolation/worker_process.h"

namespace hashwatch {
namespace {

constexpr int64_t kStartupMs = 60'000;  // loading an embedding model included

std::string DefaultWorkerPath() {
  if (const char* env = std::getenv("HASHWATCH_WORKER"); env != nullptr && env[0] != '\0') {
    return env;
  }
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path beside = self.parent_path() / "hashwatch-worker";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return HASHWATCH_DEFAULT_WORKER_PATH;
}

}  // namespace

struct IsolatedHasher::Impl {
  IsolationOptions options;
  std::string worker_path;
  std::vector<std::string> args;
  std::vector<uint8_t> config;
  int64_t deadline_ms = 0;

  std::mutex mu;
  std::condition_variable free_cv;
  std::vector<std::unique_ptr<isolation::WorkerProcess>> workers;  // null: not running
  std::vector<bool> busy;

  absl::StatusOr<std::unique_ptr<isolation::WorkerProcess>> Start() const {
    std::vector<uint8_t> greeting;
    absl::StatusOr<std::unique_ptr<isolation::WorkerProcess>> w =
        isolation::WorkerProcess::Start(worker_path, args, config, kStartupMs, &greeting);
    if (!w.ok()) return w.status();
    if (absl::Status ready = isolation::DecodeReady(greeting); !ready.ok()) return ready;
    return w;
  }

  size_t Acquire() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      for (size_t i = 0; i < busy.size(); ++i) {
        if (!busy[i]) {
          busy[i] = true;
          return i;
        }
      }
      free_cv.wait(lock);
    }
  }

  void Release(size_t i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      busy[i] = false;
    }
    free_cv.notify_one();
  }
};

IsolatedHasher::IsolatedHasher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
IsolatedHasher::~IsolatedHasher() = default;

const IsolationOptions& IsolatedHasher::options() const {
  return impl_->options;
}

absl::StatusOr<std::unique_ptr<IsolatedHasher>> IsolatedHasher::Create(
    const HashOptions& image, const VideoOptions& video, const IsolationOptions& isolation) {
  if (isolation.workers < 1 || isolation.workers > 256) {
    return absl::InvalidArgumentError("isolation needs 1..256 workers");
  }
  if (isolation.memory_limit_bytes < (int64_t{64} << 20)) {
    return absl::InvalidArgumentError("a hash worker needs a memory limit of at least 64 MiB");
  }
  if (!(isolation.time_limit_seconds <= 7 * 24 * 3600.0)) {  // NaN fails too
    return absl::InvalidArgumentError("the time limit per file must be at most a week");
  }
  // The same checks as in-process hashing, here, before any worker starts.
  if (absl::StatusOr<MediaHasher> h = MediaHasher::Create(image, video); !h.ok()) {
    return h.status();
  }
  auto impl = std::make_unique<Impl>();
  impl->options = isolation;
  impl->worker_path = isolation.worker_path.empty() ? DefaultWorkerPath() : isolation.worker_path;
  impl->args = {absl::StrCat("--memory-limit=", isolation.memory_limit_bytes)};
  isolation::WorkerConfig config{.image = image,
                                 .video = video,
                                 .embedding = std::nullopt,
                                 .verification_pixels = isolation.verification_pixels};
  config.image.embedding = nullptr;
  if (image.embedding != nullptr) config.embedding = image.embedding->options();
  impl->config = isolation::EncodeConfig(config);
  const double seconds =
      isolation.time_limit_seconds > 0
          ? isolation.time_limit_seconds
          : std::max(image.limits.max_decode_seconds, video.limits.max_decode_seconds) + 60;
  impl->deadline_ms = static_cast<int64_t>(seconds * 1000);
  impl->workers.resize(isolation.workers);
  impl->busy.assign(isolation.workers, false);
  // One worker now, so that a missing executable or a bad model is an error
  // of Create, not of every file.
  absl::StatusOr<std::unique_ptr<isolation::WorkerProcess>> first = impl->Start();
  if (!first.ok()) return first.status();
  impl->workers[0] = *std::move(first);
  return std::unique_ptr<IsolatedHasher>(new IsolatedHasher(std::move(impl)));
}

absl::StatusOr<HashedFile> IsolatedHasher::HashFile(const std::string& path) const {
  Impl& impl = *impl_;
  const size_t slot = impl.Acquire();
  struct Releaser {
    Impl& impl;
    size_t slot;
    ~Releaser() { impl.Release(slot); }
  } releaser{impl, slot};
  std::unique_ptr<isolation::WorkerProcess>& worker = impl.workers[slot];
  if (worker == nullptr || !worker->alive()) {
    absl::StatusOr<std::unique_ptr<isolation::WorkerProcess>> started = impl.Start();
    if (!started.ok()) {
      return absl::Status(started.status().code(),
                          absl::StrCat(path, ": ", started.status().message()));
    }
    worker = *std::move(started);
  }
  absl::StatusOr<std::vector<uint8_t>> answer =
      worker->Call(isolation::EncodeRequest(path), impl.deadline_ms);
  if (!answer.ok()) {
    worker.reset();  // dead or killed: the next file starts a new one
    std::string note;
    if (absl::IsAborted(answer.status())) {
      note = absl::StrCat(" (its memory limit is ", impl.options.memory_limit_bytes >> 20,
                          " MiB; a decoder crash, abort or memory exhaustion ends it)");
    }
    return absl::Status(answer.status().code(),
                        absl::StrCat(path, ": ", answer.status().message(), note));
  }
  absl::StatusOr<isolation::HashedMedia> media = isolation::DecodeAnswer(*answer);
  if (absl::IsDataLoss(media.status())) {
    worker.reset();  // a worker that talks nonsense is not used again
    return absl::Status(media.status().code(), absl::StrCat(path, ": ", media.status().message()));
  }
  if (!media.ok()) return media.status();  // the hasher's own error, naming the path
  return HashedFile{.signals = std::move(media->signals), .pixels = std::move(media->pixels)};
}

}  // namespace hashwatch
