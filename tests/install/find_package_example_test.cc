// The installed engine is usable by other programs: `cmake --install` into a
// temporary prefix, then configure, build and run docs/examples/ against it
// through find_package(hashwatch).
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

std::string Q(const fs::path& p) { return ShellQuote(p); }

// The value of `key` (e.g. "CMAKE_CXX_COMPILER:FILEPATH") in CMakeCache.txt.
std::string CacheValue(const fs::path& cache, const std::string& key) {
  std::ifstream in(cache);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
  }
  return "";
}

TEST_CASE("docs/examples builds against an installed hashwatch with find_package", "[install]") {
  const fs::path build = BinDir().parent_path();
  const fs::path cache = build / "CMakeCache.txt";
  if (!fs::exists(cache)) {
    WARN("no CMakeCache.txt beside " << BinDir() << "; skipped");
    return;
  }
  TempDir dir;
  const fs::path prefix = dir.path() / "prefix", example = dir.path() / "example";
  CommandResult install = RunCommand("cmake --install " + Q(build) + " --prefix " + Q(prefix));
  INFO(install.out << install.err);
  REQUIRE(install.exit_code == 0);
  CHECK(fs::exists(prefix / "lib" / "cmake" / "hashwatch" / "hashwatchConfig.cmake"));
  CHECK(fs::exists(prefix / "include" / "hashwatch" / "catalog.h"));

  std::string configure = "cmake -S " + Q(SourceDir() / "docs" / "examples") + " -B " + Q(example) +
                          " -DCMAKE_PREFIX_PATH=" + Q(prefix);
  const std::string cxx = CacheValue(cache, "CMAKE_CXX_COMPILER:FILEPATH");
  if (!cxx.empty()) configure += " -DCMAKE_CXX_COMPILER=" + Q(cxx);
  // An instrumented libhashwatch.a needs its sanitizer's runtime at link time.
  if (CacheValue(cache, "HASHWATCH_SANITIZE:BOOL") == "ON") {
    configure += " -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined";
  } else if (CacheValue(cache, "HASHWATCH_TSAN:BOOL") == "ON") {
    configure += " -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread";
  }
  CommandResult configured = RunCommand(configure);
  INFO(configured.out << configured.err);
  REQUIRE(configured.exit_code == 0);
  CommandResult built = RunCommand("cmake --build " + Q(example));
  INFO(built.out << built.err);
  REQUIRE(built.exit_code == 0);

  CommandResult run = RunCommand(Q(example / "catalog_example") + " " + Q(dir.path() / "c.db") +
                                 " " + Q(TestdataDir() / "known" / "rocket.jpg") + " " +
                                 Q(TestdataDir() / "crawled" / "rocket_mirror.jpg") + " " +
                                 Q(TestdataDir() / "crawled" / "coins.jpg"));
  INFO(run.out << run.err);
  CHECK(run.exit_code == 0);
  CHECK_THAT(run.out, Catch::Contains("rocket_mirror.jpg: matches case example-case item 1"));
  CHECK_THAT(run.out, Catch::Contains("(flip_y)"));
  CHECK_THAT(run.out, Catch::Contains("coins.jpg: no match"));
}

}  // namespace
}  // namespace hashwatch::testing
