// End-to-end: the built `hashwatch hash` binary on testdata.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace hashwatch {
namespace {

using testing::RunCommand;

std::string Hashwatch() {
  return (testing::BinDir() / "hashwatch").string();
}

std::vector<nlohmann::json> JsonLines(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::stringstream ss(out);
  std::string line;
  while (std::getline(ss, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

bool IsHex(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

TEST_CASE("hash prints one JSON line per image with PDQ and quality, exit 0") {
  const std::string dir = (testing::TestdataDir() / "images").string();
  auto r = RunCommand(Hashwatch() + " hash --jobs 2 '" + dir + "'");
  INFO(r.err);
  CHECK(r.exit_code == 0);
  const auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 7);
  std::vector<std::string> paths;
  for (const auto& j : lines) {
    paths.push_back(j["path"]);
    CHECK(IsHex(j["pdq"], 64));
    CHECK(j["pdq_quality"].get<int>() >= 50);
    CHECK_FALSE(j.contains("error"));
  }
  CHECK(std::is_sorted(paths.begin(), paths.end()));  // folder order, whatever the jobs
}

TEST_CASE("hash keeps going past bad files and exits 1") {
  testing::TempDir tmp;
  testing::WriteFileText(tmp.path() / "a_fake.jpg", "GIF? no. just text\n");
  const auto good = testing::TestdataDir() / "formats" / "photo_baseline.jpg";
  auto jpeg = testing::ReadFileBytes(good);
  jpeg.resize(jpeg.size() / 2);
  testing::WriteFileBytes(tmp.path() / "b_truncated.jpg", jpeg);
  testing::WriteFileBytes(tmp.path() / "c_good.jpg", testing::ReadFileBytes(good));
  auto r = RunCommand(Hashwatch() + " hash --signals pdq,sha256 '" + tmp.path().string() + "'");
  CHECK(r.exit_code == 1);
  const auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0]["error"].get<std::string>(), Catch::Contains("not a supported image"));
  CHECK_THAT(lines[1]["error"].get<std::string>(), Catch::Contains("truncated JPEG"));
  CHECK(IsHex(lines[2]["pdq"], 64));
  CHECK(IsHex(lines[2]["sha256"], 64));
}

TEST_CASE("hash reads paths from standard input with '-'") {
  const auto a = (testing::TestdataDir() / "known" / "coffee.jpg").string();
  const auto b = (testing::TestdataDir() / "known" / "rocket.jpg").string();
  auto r = RunCommand(Hashwatch() + " hash -", a + "\n\n" + b + "\n");
  CHECK(r.exit_code == 0);
  const auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0]["path"] == a);
  CHECK(lines[1]["path"] == b);
}

TEST_CASE("hash --format csv prints a header and one row per file") {
  const auto a = (testing::TestdataDir() / "known" / "coffee.jpg").string();
  auto r = RunCommand(Hashwatch() + " hash --format csv --signals pdq,phash,md5 '" + a +
                      "' missing.png");
  CHECK(r.exit_code == 1);
  std::stringstream ss(r.out);
  std::string header, row1, row2;
  std::getline(ss, header);
  std::getline(ss, row1);
  std::getline(ss, row2);
  CHECK(header == "path,media,width,height,duration,pdq,pdq_quality,phash,md5,error");
  CHECK_THAT(row1, Catch::StartsWith(a + ","));
  CHECK_THAT(row2, Catch::StartsWith("missing.png,,,,,,,") && Catch::Contains("No such file"));
}

TEST_CASE("hash usage errors exit 2, --help exits 0") {
  CHECK(RunCommand(Hashwatch() + " hash").exit_code == 2);
  auto bad = RunCommand(Hashwatch() + " hash --signals nope x.jpg");
  CHECK(bad.exit_code == 2);
  CHECK_THAT(bad.err, Catch::Contains("unknown signal type 'nope'"));
  CHECK(RunCommand(Hashwatch() + " hash --format xml x.jpg").exit_code == 2);
  CHECK(RunCommand(Hashwatch() + " frobnicate").exit_code == 2);
  auto help = RunCommand(Hashwatch() + " hash --help");
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("--signals") && Catch::Contains("--jobs") &&
                           Catch::Contains("--max-megapixels") && Catch::Contains("Exit status"));
}

// Issue 9: crawled file names are attacker-chosen. A table printed them raw
// (an ESC sequence drives the staff's terminal); CSV wrote a name beginning
// with '=' as a formula a spreadsheet would run.
TEST_CASE("hash output never passes a file name's control characters or formulas through") {
  testing::TempDir tmp;
  const auto good = testing::TestdataDir() / "known" / "coffee.jpg";
  const std::string evil = (tmp.path() / "a\x1b]0;pwned\x07\x1b[2Jb.jpg").string();
  testing::WriteFileBytes(evil, testing::ReadFileBytes(good));

  // (hash has no table format; scan and enroll do, through the same writer)
  const std::string db = (tmp.path() / "c.db").string();
  REQUIRE(RunCommand(Hashwatch() + " enroll --db '" + db + "' --case C '" + good.string() + "'")
              .exit_code == 0);
  auto table = RunCommand(Hashwatch() + " scan --format table --db '" + db + "' -", evil + "\n");
  CHECK(table.exit_code == 0);
  CHECK(table.out.find('\x1b') == std::string::npos);
  CHECK(table.out.find('\x07') == std::string::npos);
  CHECK_THAT(table.out, Catch::Contains("a\\x1b]0;pwned\\x07\\x1b[2Jb.jpg"));
  // JSON lines escape it by JSON's rules: the exact name is still there.
  auto jsonl = RunCommand(Hashwatch() + " hash -", evil + "\n");
  REQUIRE(JsonLines(jsonl.out).size() == 1);
  CHECK(JsonLines(jsonl.out)[0]["path"] == evil);

  // A name a spreadsheet would evaluate gets a leading apostrophe in CSV.
  auto csv = RunCommand(Hashwatch() + " hash --format csv -", "=HYPERLINK(\"x\")\n-2+3\n");
  CHECK(csv.exit_code == 1);  // neither file exists
  std::stringstream ss(csv.out);
  std::string header, row1, row2;
  std::getline(ss, header);
  std::getline(ss, row1);
  std::getline(ss, row2);
  CHECK_THAT(row1, Catch::StartsWith("\"'=HYPERLINK(\"\"x\"\")\","));
  CHECK_THAT(row2, Catch::StartsWith("'-2+3,"));
}

// Issue 9: a FIFO given as a path (or standard input as one) hung hash and
// scan for ever, waiting for a writer.
TEST_CASE("hash and scan refuse a FIFO at once instead of waiting for a writer") {
  testing::TempDir tmp;
  const std::string fifo = (tmp.path() / "pipe.jpg").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string good = (testing::TestdataDir() / "known" / "coffee.jpg").string();
  // `timeout` turns a hang into exit 124, which fails the checks.
  auto r = RunCommand("timeout 30 " + Hashwatch() + " hash '" + fifo + "' '" + good + "'");
  CHECK(r.exit_code == 1);
  const auto lines = JsonLines(r.out);
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0]["error"].get<std::string>(), Catch::Contains("not a regular file"));
  CHECK(IsHex(lines[1]["pdq"], 64));
  // Standard input a pipe whose writer keeps it open for a while.
  auto piped = RunCommand("sleep 3 | timeout 30 " + Hashwatch() + " hash /dev/stdin");
  CHECK(piped.exit_code == 1);
  CHECK_THAT(piped.out, Catch::Contains("not a regular file"));
  const std::string db = (tmp.path() / "c.db").string();
  REQUIRE(RunCommand(Hashwatch() + " enroll --db '" + db + "' --case C '" + good + "'").exit_code ==
          0);
  auto scan = RunCommand("timeout 30 " + Hashwatch() + " scan --db '" + db + "' '" + fifo + "' '" +
                         good + "'");
  CHECK(scan.exit_code == 1);
  CHECK_THAT(scan.out, Catch::Contains("not a regular file"));
  CHECK_THAT(scan.out, Catch::Contains("\"case\":\"C\""));
}

// Issue 9: --max-bytes over 2 GiB overflowed an int in the decoders, and a
// huge --max-megapixels a double-to-int64 conversion (undefined behaviour).
TEST_CASE("hash refuses limits beyond what the decoders can honour") {
  const auto a = (testing::TestdataDir() / "known" / "coffee.jpg").string();
  auto bytes = RunCommand(Hashwatch() + " hash --max-bytes 3000000000 '" + a + "'");
  CHECK(bytes.exit_code == 2);
  CHECK_THAT(bytes.err, Catch::Contains("--max-bytes"));
  auto pixels = RunCommand(Hashwatch() + " hash --max-megapixels 1e300 '" + a + "'");
  CHECK(pixels.exit_code == 2);
  CHECK_THAT(pixels.err, Catch::Contains("--max-megapixels"));
  CHECK(RunCommand(Hashwatch() + " hash --max-megapixels nan '" + a + "'").exit_code == 2);
  // The largest accepted values still work.
  CHECK(
      RunCommand(Hashwatch() + " hash --max-bytes 2147483647 --max-megapixels 1000000 '" + a + "'")
          .exit_code == 0);
}

}  // namespace
}  // namespace hashwatch
