// Helpers for the video tests: the bundled clips, and edits made on the fly
// with Debian's `ffmpeg` command (installed by scripts/run.sh).
#ifndef HASHWATCH_TESTS_VIDEO_TEST_SUPPORT_H_
#define HASHWATCH_TESTS_VIDEO_TEST_SUPPORT_H_

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "test_support.h"

namespace hashwatch::testing {

inline std::filesystem::path VideoDir() {
  return TestdataDir() / "video";
}

// Runs `ffmpeg -nostdin -loglevel error -y <args> <out>`; fails the test when
// it fails.
inline void Ffmpeg(const std::string& args, const std::filesystem::path& out) {
  const CommandResult r =
      RunCommand("ffmpeg -nostdin -loglevel error -y -threads 1 " + args + " " + ShellQuote(out));
  INFO("ffmpeg " << args << "\n" << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_VIDEO_TEST_SUPPORT_H_
