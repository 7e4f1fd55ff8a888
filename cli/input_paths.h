// The files a command works on, from its PATH arguments: files as given,
// folders walked recursively (sorted, symlinked folders not followed), and
// "-" meaning one path per line on standard input.
#ifndef HASHWATCH_CLI_INPUT_PATHS_H_
#define HASHWATCH_CLI_INPUT_PATHS_H_

#include <istream>
#include <string>
#include <vector>

namespace hashwatch::cli {

struct InputPath {
  std::string path;
  std::string error;  // "<path>: <reason>" when the path could not be listed
};

std::vector<InputPath> ExpandInputPaths(const std::vector<std::string>& args,
                                        std::istream& stdin_stream);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_INPUT_PATHS_H_
