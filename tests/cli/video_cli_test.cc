// End-to-end: videos through the built `hashwatch` binary.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_test_support.h"
#include "test_support.h"
#include "video_test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

TEST_CASE("hashwatch hash prints a video's frames, duration and digests beside images",
          "[video][cli]") {
  const CommandResult r = RunCommand(HashwatchCommand() + " hash --signals pdq,sha256,md5 " +
                                     ShellQuote(VideoDir() / "street_vtest.mp4") + " " +
                                     ShellQuote(TestdataDir() / "known/coffee.jpg"));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 2);
  const nlohmann::json& v = lines[0];
  CHECK(v["media"] == "video");
  CHECK(v["duration"].get<double>() == Approx(20).margin(0.2));
  REQUIRE(v["frames"].size() >= 10);
  CHECK(v["frames"][0]["t"] == 0.0);
  CHECK(v["frames"][0]["pdq"].get<std::string>().size() == 64);
  CHECK(v["frames"][0]["quality"].get<int>() >= 50);
  CHECK(v["sha256"].get<std::string>().size() == 64);
  CHECK(v["md5"].get<std::string>().size() == 32);
  CHECK(lines[1]["pdq"].get<std::string>().size() == 64);
}

TEST_CASE(
    "hashwatch scan: a re-posted excerpt matches with its span, broken files are per-file "
    "errors and the batch goes on",
    "[video][cli]") {
  TempDir dir;
  const std::string db = ShellQuote(dir.path() / "c.db");
  const CommandResult e = RunCommand(HashwatchCommand() + " enroll --db " + db + " --case V " +
                                     ShellQuote(VideoDir() / "street_vtest.mp4"));
  INFO(e.err);
  REQUIRE(e.exit_code == 0);
  const nlohmann::json enrolled = JsonLines(e.out).at(0);
  CHECK(enrolled["media"] == "video");
  const fs::path crawl = dir.path() / "crawl";
  fs::create_directories(crawl);
  WriteFileBytes(crawl / "a_empty.mp4", {});
  std::vector<uint8_t> cut = ReadFileBytes(VideoDir() / "street_vtest.mp4");
  cut.resize(300);
  WriteFileBytes(crawl / "b_cut.mp4", cut);
  fs::copy_file(TestdataDir() / "crawled_video/reposted_street_excerpt.mp4",
                crawl / "c_reposted.mp4");
  fs::copy_file(TestdataDir() / "crawled_video/unrelated_clip.mp4", crawl / "d_unrelated.mp4");
  const CommandResult s =
      RunCommand(HashwatchCommand() + " scan --db " + db + " " + ShellQuote(crawl));
  CHECK(s.exit_code == 1);  // some files could not be read
  const std::vector<nlohmann::json> lines = JsonLines(s.out);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].contains("error"));
  CHECK(lines[1].contains("error"));
  REQUIRE(lines[2]["matches"].size() == 1);
  const nlohmann::json& m = lines[2]["matches"][0];
  CHECK(m["item"] == enrolled["item"]);
  CHECK(m["variant"] == "flip_y");  // the excerpt is mirrored
  CHECK(m["query_start"].get<double>() <= 1.0);
  CHECK(std::abs(m["ref_start"].get<double>() - 4.5) <= 1.0);
  CHECK(m["frames"].get<int>() >= 6);
  CHECK(lines[2]["media"] == "video");
  CHECK(lines[3]["matches"].empty());
}

TEST_CASE("hashwatch export --video-item writes vPDQ that import reads back as a video",
          "[video][cli]") {
  TempDir dir;
  const std::string a = ShellQuote(dir.path() / "a.db");
  const std::string b = ShellQuote(dir.path() / "b.db");
  REQUIRE(RunCommand(HashwatchCommand() + " enroll --db " + a + " --case V " +
                     ShellQuote(VideoDir() / "tree.mp4"))
              .exit_code == 0);
  const std::string list = ShellQuote(dir.path() / "tree.vpdq");
  const CommandResult x =
      RunCommand(HashwatchCommand() + " export --db " + a + " --video-item 1 " + list);
  INFO(x.err);
  REQUIRE(x.exit_code == 0);
  const CommandResult i =
      RunCommand(HashwatchCommand() + " import --db " + b + " --case PARTNER " + list);
  INFO(i.err);
  REQUIRE(i.exit_code == 0);
  CHECK_THAT(i.err + i.out, Catch::Contains("vpdq"));
  const CommandResult s = RunCommand(HashwatchCommand() + " scan --db " + b + " " +
                                     ShellQuote(VideoDir() / "tree.mp4"));
  REQUIRE(s.exit_code == 0);
  const nlohmann::json line = JsonLines(s.out).at(0);
  REQUIRE(line["matches"].size() == 1);
  CHECK(line["matches"][0]["case"] == "PARTNER");
  // A CSV export says it left the video out.
  const CommandResult csv = RunCommand(HashwatchCommand() + " export --db " + a + " -");
  CHECK_THAT(csv.err, Catch::Contains("--video-item"));
}

}  // namespace
}  // namespace hashwatch::testing
