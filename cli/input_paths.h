// The files a command works on, from its PATH arguments: files as given,
// folders walked recursively (sorted, symlinked folders not followed), and
// "-" meaning one path per line on standard input, read as the lines arrive
// (a crawler piping paths in gets each one's record without closing the
// pipe).
#ifndef HASHWATCH_CLI_INPUT_PATHS_H_
#define HASHWATCH_CLI_INPUT_PATHS_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hashwatch::cli {

struct InputPath {
  std::string path;
  std::string error;  // "<path>: <reason>" when the path could not be listed
};

// Hands out the inputs one at a time, in argument order. Not thread-safe.
class InputPaths {
 public:
  // `stop` is asked while standard input is awaited and between inputs:
  // when it returns true, Next returns nullopt (SIGTERM: take nothing new).
  InputPaths(std::vector<std::string> args, int stdin_fd, std::function<bool()> stop);

  // The next input; nullopt at the end (or when stopped). A folder is listed
  // whole when its turn comes; standard input is read line by line, each
  // line (at most 64 KiB; a longer one is an input with an error) handed out
  // as soon as it is complete.
  std::optional<InputPath> Next();

  // How many inputs there are, when known before the end: the arguments
  // hold no "-". 0 otherwise.
  size_t known_total() const { return known_total_; }

 private:
  bool FillFromStdin();  // false at end of input or when stopped

  std::vector<std::string> args_;
  size_t next_arg_ = 0;
  std::deque<InputPath> pending_;
  size_t known_total_ = 0;
  int stdin_fd_;
  std::function<bool()> stop_;
  bool reading_stdin_ = false;
  std::string line_;       // the line being read from stdin
  bool skipping_ = false;  // the rest of an over-long line
};

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_INPUT_PATHS_H_
