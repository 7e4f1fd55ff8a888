// WorkerProcess: posix_spawn, a socketpair, deadlines, kill and reap.
#include "isolation/worker_process.h"

#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "isolation/media_wire.h"

extern char** environ;

namespace hashwatch::isolation {
namespace {

// How a reaped child ended, for an error message.
std::string DescribeExit(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigdescr_np(sig);
    return absl::StrCat("died of signal ", sig, " (", name != nullptr ? name : "unknown", ")");
  }
  if (WIFEXITED(status)) return absl::StrCat("exited with status ", WEXITSTATUS(status));
  return "ended";
}

}  // namespace

absl::StatusOr<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(
    const std::string& path, const std::vector<std::string>& args,
    const std::vector<uint8_t>& hello, int64_t startup_ms, std::vector<uint8_t>* greeting) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return absl::UnavailableError(absl::StrCat("socketpair: ", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the copies: the child gets its end as fds
  // 0 and 1, and nothing else of ours (every other fd here is O_CLOEXEC).
  posix_spawn_file_actions_adddup2(&actions, sv[1], 0);
  posix_spawn_file_actions_adddup2(&actions, sv[1], 1);
  std::vector<std::string> argv_store = {path};
  argv_store.insert(argv_store.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_store) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int err = ::posix_spawn(&pid, path.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(sv[1]);
  if (err != 0) {
    ::close(sv[0]);
    return absl::UnavailableError(
        absl::StrCat("cannot start the hash worker ", path, ": ", std::strerror(err)));
  }
  std::unique_ptr<WorkerProcess> worker(new WorkerProcess(pid, sv[0]));
  absl::StatusOr<std::vector<uint8_t>> first = worker->Call(hello, startup_ms);
  if (!first.ok()) {
    return absl::UnavailableError(
        absl::StrCat("the hash worker ", path, " did not start: ", first.status().message()));
  }
  *greeting = *std::move(first);
  return worker;
}

WorkerProcess::~WorkerProcess() {
  if (fd_ >= 0) ::close(fd_);
  if (pid_ > 0) {
    // Closing the socket asks the worker to exit; give it a moment.
    for (int i = 0; i < 50; ++i) {
      int status;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    KillAndReap();
  }
}

std::string WorkerProcess::KillAndReap() {
  if (pid_ <= 0) return "already gone";
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) {
    // Still running (hung, or slow to finish dying): give it a short while,
    // then kill it.
    for (int i = 0; i < 50 && r == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      r = ::waitpid(pid_, &status, WNOHANG);
    }
    if (r == 0) {
      ::kill(pid_, SIGKILL);
      do {
        r = ::waitpid(pid_, &status, 0);
      } while (r < 0 && errno == EINTR);
    }
  }
  pid_ = -1;
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
  return r > 0 ? DescribeExit(status) : "could not be reaped";
}

absl::StatusOr<std::vector<uint8_t>> WorkerProcess::Call(const std::vector<uint8_t>& request,
                                                         int64_t deadline_ms) {
  if (!alive()) return absl::FailedPreconditionError("the hash worker is not running");
  absl::Status sent = WriteMessage(fd_, request);
  absl::StatusOr<std::vector<uint8_t>> answer =
      sent.ok() ? ReadMessage(fd_, deadline_ms) : absl::StatusOr<std::vector<uint8_t>>(sent);
  if (answer.ok()) return answer;
  if (absl::IsDeadlineExceeded(answer.status())) {
    ::kill(pid_, SIGKILL);
    KillAndReap();
    return absl::DeadlineExceededError(
        absl::StrCat("the hash worker was killed after ", deadline_ms / 1000.0, " s (time limit)"));
  }
  const std::string how = KillAndReap();
  return absl::AbortedError(absl::StrCat("the hash worker ", how));
}

}  // namespace hashwatch::isolation
