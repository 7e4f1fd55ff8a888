// RunInputBatch: how hash, enroll and scan work through their inputs. The
// paths (hashwatch::cli::InputPaths: arguments, folders, lines on stdin as
// they arrive) go to `work` on `jobs` threads; each result goes to `emit`
// in input order as soon as it and the ones before it are done, with a
// progress line on a terminal. On SIGTERM or SIGINT no new input is taken:
// the ones in flight are finished and emitted, and a notice says so.
#ifndef HASHWATCH_CLI_INPUT_BATCH_H_
#define HASHWATCH_CLI_INPUT_BATCH_H_

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "hashwatch/ordered_parallel.h"
#include "input_paths.h"
#include "progress.h"
#include "stop_signal.h"

namespace hashwatch::cli {

// Returns the signal that stopped the batch early, or 0 when every input was
// done. `emit` returns whether the input succeeded (for the progress line).
// Inputs come from `next` (nullopt at the end); `total` is their number when
// known (for the progress line), else 0.
template <typename Result>
int RunInputBatch(const std::string& command, const std::function<std::optional<InputPath>()>& next,
                  size_t total, int jobs, const std::function<Result(const InputPath&)>& work,
                  const std::function<bool(const InputPath&, Result&&)>& emit) {
  InstallStopHandlers();
  size_t done = 0, failed = 0;
  {
    Progress progress(command, total);
    OrderedParallelStream<InputPath, Result>(next, jobs, work,
                                             [&](InputPath&& input, Result&& result) {
                                               ++done;
                                               if (!emit(input, std::move(result))) ++failed;
                                               progress.Update(done, failed);
                                             });
  }
  const int signal = StopSignal();
  if (signal != 0) {
    std::fprintf(stderr,
                 "hashwatch %s: stopped by SIG%s: %zu files finished and reported, no new file "
                 "taken\n",
                 command.c_str(), sigabbrev_np(signal), done);
  }
  return signal;
}

// The same over the command's PATH arguments (InputPaths).
template <typename Result>
int RunInputBatch(const std::string& command, const std::vector<std::string>& paths, int jobs,
                  const std::function<Result(const InputPath&)>& work,
                  const std::function<bool(const InputPath&, Result&&)>& emit) {
  InstallStopHandlers();
  InputPaths inputs(paths, STDIN_FILENO, [] { return StopSignal() != 0; });
  return RunInputBatch<Result>(
      command, [&] { return inputs.Next(); }, inputs.known_total(), jobs, work, emit);
}

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_INPUT_BATCH_H_
