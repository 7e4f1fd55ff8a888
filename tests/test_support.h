// Shared helpers for the Catch2 tests: where the source tree and the built
// binaries are, temporary folders, and reading/writing files.
#ifndef HASHWATCH_TESTS_TEST_SUPPORT_H_
#define HASHWATCH_TESTS_TEST_SUPPORT_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hashwatch::testing {

std::filesystem::path SourceDir();    // the repository root
std::filesystem::path TestdataDir();  // <root>/testdata
std::filesystem::path BinDir();       // where hashwatch and hashwatch-bench are built
// ../shared/conformance/ beside the checkout, or empty when absent.
std::filesystem::path ConformanceDir();

std::vector<uint8_t> ReadFileBytes(const std::filesystem::path& path);
void WriteFileBytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes);
void WriteFileText(const std::filesystem::path& path, const std::string& text);

// A PNG whose IHDR claims the given size (with a valid CRC) and holds no
// pixel data: what a decompression bomb's header looks like.
std::vector<uint8_t> PngHeaderClaiming(uint32_t width, uint32_t height);

// A fresh, empty folder removed when the object goes out of scope.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// `p` single-quoted for /bin/sh (paths here never contain a quote).
std::string ShellQuote(const std::filesystem::path& p);
// The built hashwatch binary, quoted for /bin/sh.
std::string HashwatchCommand();

// Result of running a command through /bin/sh.
struct CommandResult {
  int exit_code = -1;
  std::string out;  // standard output
  std::string err;  // standard error
};
// Runs `command` with the given standard input; stdout and stderr captured.
CommandResult RunCommand(const std::string& command, const std::string& stdin_text = "");

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_TEST_SUPPORT_H_
