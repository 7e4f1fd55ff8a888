// Helpers for the end-to-end CLI tests: reading the JSON lines a command prints.
#ifndef HASHWATCH_TESTS_CLI_CLI_TEST_SUPPORT_H_
#define HASHWATCH_TESTS_CLI_CLI_TEST_SUPPORT_H_

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace hashwatch::testing {

// Shorthands for building command lines: a quoted path, and the CLI.
inline std::string Q(const std::filesystem::path& p) {
  return ShellQuote(p);
}
inline std::string Hw() {
  return HashwatchCommand();
}

// One parsed JSON value per non-empty line of `out`.
inline std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_CLI_CLI_TEST_SUPPORT_H_
