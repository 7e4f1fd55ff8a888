// WorkerProcess: one child process started from an executable, spoken to
// with framed messages (isolation/media_wire.h) over a socket that is its
// standard input and output. A call that outlives its deadline, or a child
// that dies during it, ends with the child killed and reaped and an error
// that says which: the caller starts a new one.
//
// Thread safety: none; one thread uses a WorkerProcess at a time.
#ifndef HASHWATCH_ISOLATION_WORKER_PROCESS_H_
#define HASHWATCH_ISOLATION_WORKER_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hashwatch::isolation {

class WorkerProcess {
 public:
  // Starts `path` with `args` (argv[1..]), sends `hello` and waits up to
  // `startup_ms` for its first message, returned in *greeting.
  static absl::StatusOr<std::unique_ptr<WorkerProcess>> Start(const std::string& path,
                                                              const std::vector<std::string>& args,
                                                              const std::vector<uint8_t>& hello,
                                                              int64_t startup_ms,
                                                              std::vector<uint8_t>* greeting);
  ~WorkerProcess();  // closes the socket; a child still running is killed
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  // Sends `request` and returns the answer. Over `deadline_ms`: the child is
  // killed, DeadlineExceeded. The child died: Aborted naming the signal or
  // exit status. Either way alive() is false afterwards.
  absl::StatusOr<std::vector<uint8_t>> Call(const std::vector<uint8_t>& request,
                                            int64_t deadline_ms);
  bool alive() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  WorkerProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  // Kills (SIGKILL) unless already gone, reaps, and describes how it ended.
  std::string KillAndReap();

  pid_t pid_;
  int fd_;
};

}  // namespace hashwatch::isolation

#endif  // HASHWATCH_ISOLATION_WORKER_PROCESS_H_
