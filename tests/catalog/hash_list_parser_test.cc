// ParseHashList: the three import formats, and bad lines named by number.
#include "catalog/hash_list_parser.h"

#include <catch2/catch.hpp>
#include <sstream>

namespace hashwatch::catalog {
namespace {

const std::string kA = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
const std::string kB = "9bd165a530cb18722499336df9d3e6db0734bc9b624f30f27859a5870fd22c38";

absl::StatusOr<HashList> Parse(const std::string& text, const std::string& case_id = "",
                               const std::string& label = "") {
  std::istringstream in(text);
  HashListParseOptions options;
  options.case_id = case_id;
  options.label = label;
  return ParseHashList(in, options);
}

TEST_CASE("CSV hash lists carry their case and label per line", "[catalog]") {
  absl::StatusOr<HashList> list = Parse("\xEF\xBB\xBFpdq_hex,quality,case,label\r\n" + kA +
                                        ",100,c1,\"Label, with comma\"\r\n# a comment\n\n" + kB +
                                        ",,c2,plain label\n" + kB + ",60,c1,other\n");
  INFO(list.status().ToString());
  REQUIRE(list.ok());
  CHECK(list->format == HashListFormat::kCsv);
  REQUIRE(list->entries.size() == 3);
  REQUIRE(list->cases.size() == 2);
  CHECK(list->cases[0].case_id == "c1");
  CHECK(list->cases[0].label == "Label, with comma");  // the first label given wins
  CHECK(list->cases[1].label == "plain label");
  CHECK(list->entries[0].quality == 100);
  CHECK(list->entries[1].quality == -1);  // empty: unknown
  CHECK(list->entries[1].case_index == 1);
  CHECK(list->entries[2].line == 6);
  CHECK(list->entries[0].pdq[0] == 0xd8);
}

TEST_CASE("A given case overrides the CSV case column", "[catalog]") {
  absl::StatusOr<HashList> list =
      Parse("pdq_hex,quality,case,label\n" + kA + ",100,c1,x\n" + kB + ",90,c2,y\n", "mine", "");
  REQUIRE(list.ok());
  REQUIRE(list->cases.size() == 1);
  CHECK(list->cases[0].case_id == "mine");
  CHECK(list->cases[0].label == "x");
  CHECK(list->entries[1].case_index == 0);
}

TEST_CASE("Plain lists hold one hash per line and need a case", "[catalog]") {
  absl::StatusOr<HashList> list = Parse(kA + "\n  " + kB + "  \n", "c", "lbl");
  REQUIRE(list.ok());
  CHECK(list->format == HashListFormat::kPlain);
  CHECK(list->entries.size() == 2);
  CHECK(list->entries[1].quality == -1);
  CHECK(list->cases[0].label == "lbl");
  absl::StatusOr<HashList> no_case = Parse(kA + "\n");
  CHECK_FALSE(no_case.ok());
  CHECK_THAT(std::string(no_case.status().message()), Catch::Contains("--case"));
}

TEST_CASE("vPDQ frame files become frames with times and qualities", "[catalog]") {
  absl::StatusOr<HashList> list =
      Parse("0,100," + kA + ",0.000\n1,45," + kB + ",1.000\n2,100," + kA + ",2.5\n", "v");
  REQUIRE(list.ok());
  CHECK(list->format == HashListFormat::kVpdq);
  REQUIRE(list->entries.size() == 3);
  CHECK(list->entries[1].quality == 45);
  CHECK(list->entries[2].frame_time == 2.5);
}

TEST_CASE("Every bad line is reported with its number", "[catalog]") {
  absl::StatusOr<HashList> list =
      Parse("pdq_hex,quality,case,label\n" + kA + ",100,c,l\nabc,1,c,l\n" + kA + ",101,c,l\n" + kA +
            ",5,,l\n" + kA + ",5,c\n" + kA + ",\"5,c,l\n");
  REQUIRE_FALSE(list.ok());
  const std::string msg(list.status().message());
  CHECK_THAT(msg, Catch::Contains("5 bad lines; nothing was imported"));
  CHECK_THAT(msg, Catch::Contains("line 3: pdq hash must be 64 hex digits, got 3"));
  CHECK_THAT(msg, Catch::Contains("line 4: quality must be a whole number 0..100"));
  CHECK_THAT(msg, Catch::Contains("line 5: no case"));
  CHECK_THAT(msg, Catch::Contains("line 6: expected 4 fields"));
  CHECK_THAT(msg, Catch::Contains("line 7: unterminated quoted field"));

  absl::StatusOr<HashList> vpdq =
      Parse("0,100," + kA + ",0.0\nx,100," + kA + ",1.0\n1,100," + kA + ",-3\n", "v");
  REQUIRE_FALSE(vpdq.ok());
  CHECK_THAT(std::string(vpdq.status().message()), Catch::Contains("line 2: frame number"));
  CHECK_THAT(std::string(vpdq.status().message()), Catch::Contains("line 3: timestamp"));
}

TEST_CASE("Hundreds of bad lines are summarised, and odd inputs are refused", "[catalog]") {
  std::string text;
  for (int i = 0; i < 300; ++i) text += "zz\n";
  absl::StatusOr<HashList> list = Parse(text, "c");
  REQUIRE_FALSE(list.ok());
  CHECK_THAT(std::string(list.status().message()), Catch::Contains("(and 280 more)"));
  CHECK_FALSE(Parse("", "c").ok());
  CHECK_FALSE(Parse("# only a comment\n\n", "c").ok());
  absl::StatusOr<HashList> weird = Parse("a,b\n", "c");
  REQUIRE_FALSE(weird.ok());
  CHECK_THAT(std::string(weird.status().message()), Catch::Contains("line 1: not a hash list"));
  // Binary junk is refused, not crashed on.
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 7919) & 0xff);
  CHECK_FALSE(Parse(junk, "c").ok());
}

}  // namespace
}  // namespace hashwatch::catalog
