// A one-line progress display on stderr, shown only when stderr is a
// terminal, so logs and pipes stay clean. Not thread-safe: call from the
// thread that prints results.
#ifndef HASHWATCH_CLI_PROGRESS_H_
#define HASHWATCH_CLI_PROGRESS_H_

#include <chrono>
#include <cstddef>
#include <string>

namespace hashwatch::cli {

class Progress {
 public:
  // `total` 0: not known (files named on standard input as they come).
  Progress(std::string label, size_t total);
  ~Progress();  // clears the line
  void Update(size_t done, size_t failed);

 private:
  std::string label_;
  size_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_PROGRESS_H_
