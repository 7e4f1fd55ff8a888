// Catalog::ImportHashes / ExportHashes: hash lists in and out, all or nothing.
#include <catch2/catch.hpp>
#include <sstream>

#include "catalog_fixtures.h"
#include "hashwatch/catalog.h"

namespace hashwatch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::unique_ptr<Catalog> OpenOrDie(const fs::path& path) {
  absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(path.string());
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *std::move(c);
}

ImportRequest Request(const std::string& case_id, const std::string& source = "list.txt") {
  return {.case_id = case_id, .label = "", .source_name = source, .operator_name = "tester"};
}

absl::StatusOr<ImportResult> Import(Catalog& c, const std::string& text, const ImportRequest& req) {
  std::istringstream in(text);
  return c.ImportHashes(req, in);
}

TEST_CASE("Exported hash lists import into another catalog and match there", "[catalog]") {
  TempDir dir;
  std::mt19937_64 rng(7);
  std::vector<std::string> hexes;
  std::string plain;
  for (int i = 0; i < 50; ++i) {
    hexes.push_back(testing::RandomPdqHex(rng));
    plain += hexes.back() + "\n";
  }
  auto a = OpenOrDie(dir.path() / "a.db");
  absl::StatusOr<ImportResult> in = Import(*a, plain, Request("case,1"));  // a comma to quote
  INFO(in.status().ToString());
  REQUIRE(in.ok());
  CHECK(in->format == "plain");
  CHECK(in->items == 50);
  CHECK(in->indexed == 50);  // unknown quality is trusted
  CHECK(in->cases_created == 1);
  REQUIRE(Import(*a, hexes[0] + "\n", Request("withdrawn-case")).ok());
  REQUIRE(a->Withdraw("withdrawn-case", "tester").ok());

  const fs::path out = dir.path() / "out.csv";
  absl::StatusOr<ExportResult> exported = a->ExportHashesToFile({}, out.string());
  REQUIRE(exported.ok());
  CHECK(exported->hashes == 50);  // the withdrawn case is left out
  CHECK(exported->cases == 1);
  CHECK(testing::FileMode(out) == 0600);
  const std::string csv(reinterpret_cast<const char*>(testing::ReadFileBytes(out).data()),
                        testing::ReadFileBytes(out).size());
  CHECK(csv.rfind("pdq_hex,quality,case,label\n" + hexes[0] + ",,\"case,1\",\n", 0) == 0);

  auto b = OpenOrDie(dir.path() / "b.db");
  absl::StatusOr<ImportResult> back = b->ImportHashesFromFile(
      {.case_id = "", .label = "", .source_name = "", .operator_name = ""}, out.string());
  INFO(back.status().ToString());
  REQUIRE(back.ok());
  CHECK(back->format == "csv");
  CHECK(back->items == 50);
  absl::StatusOr<MatchResult> m = b->MatchSignal(testing::PdqSignal(hexes[17]));
  REQUIRE(m.ok());
  REQUIRE(m->matches.size() == 1);
  CHECK(m->matches[0].case_id == "case,1");
  CHECK(m->matches[0].distance == 0);

  // Re-importing the same list adds nothing.
  absl::StatusOr<ImportResult> again = b->ImportHashesFromFile(Request(""), out.string());
  REQUIRE(again.ok());
  CHECK(again->items == 0);
  CHECK(again->duplicates == 50);

  // The export of a single case, and the refusals.
  std::ostringstream one;
  REQUIRE(
      a->ExportHashes({.case_id = "case,1", .operator_name = "", .destination = "mem"}, one).ok());
  CHECK(a->ExportHashes({.case_id = "withdrawn-case", .operator_name = "", .destination = ""}, one)
            .status()
            .code() == absl::StatusCode::kFailedPrecondition);
  CHECK(a->ExportHashes({.case_id = "nope", .operator_name = "", .destination = ""}, one)
            .status()
            .code() == absl::StatusCode::kNotFound);
  CHECK(testing::SqlInt(dir.path() / "a.db",
                        "SELECT count(*) FROM audit_log WHERE action = 'export'") == 2);
}

TEST_CASE("A list with a bad line imports nothing at all", "[catalog]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "c.db");
  std::mt19937_64 rng(11);
  std::string text = "pdq_hex,quality,case,label\n";
  for (int i = 0; i < 100; ++i)
    text += testing::RandomPdqHex(rng) + ",90,c" + std::to_string(i % 3) + ",\n";
  text += "not-a-hash,90,c1,\n";
  absl::StatusOr<ImportResult> r = Import(*c, text, Request(""));
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("list.txt: 1 bad line"));
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("line 102:"));
  absl::StatusOr<CatalogStats> stats = c->Stats();
  CHECK(stats->items == 0);
  CHECK(stats->cases_open == 0);
  CHECK(stats->indexed_hashes == 0);
  CHECK(stats->audit_entries == 0);

  // A list touching a withdrawn case is refused whole too.
  const std::string good = testing::RandomPdqHex(rng);
  REQUIRE(Import(*c, good + "\n", Request("gone")).ok());
  REQUIRE(c->Withdraw("gone", "").ok());
  absl::StatusOr<ImportResult> into_withdrawn =
      Import(*c,
             "pdq_hex,quality,case,label\n" + testing::RandomPdqHex(rng) + ",90,fresh,\n" + good +
                 ",90,gone,\n",
             Request(""));
  CHECK(into_withdrawn.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(c->Stats()->cases_open == 0);
  CHECK(c->Stats()->items == 1);
}

TEST_CASE("A vPDQ file imports as one video item whose good frames match", "[catalog]") {
  TempDir dir;
  auto c = OpenOrDie(dir.path() / "c.db");
  std::mt19937_64 rng(3);
  const std::string f0 = testing::RandomPdqHex(rng), f1 = testing::RandomPdqHex(rng);
  absl::StatusOr<ImportResult> r = Import(*c, "0,100," + f0 + ",0.000\n1,20," + f1 + ",1.000\n",
                                          Request("video-case", "clip.vpdq"));
  REQUIRE(r.ok());
  CHECK(r->format == "vpdq");
  CHECK(r->items == 1);
  CHECK(r->signals == 2);
  CHECK(r->indexed == 1);  // the quality-20 frame is stored, not indexed
  absl::StatusOr<MatchResult> m = c->MatchSignal(testing::PdqSignal(f0));
  REQUIRE(m->matches.size() == 1);
  CHECK(m->matches[0].item == r->item_ids[0]);
  CHECK(c->MatchSignal(testing::PdqSignal(f1))->matches.empty());
  const fs::path db = dir.path() / "c.db";
  CHECK(testing::SqlText(db, "SELECT media_kind || ' ' || source_note FROM items") ==
        "video clip.vpdq");
  CHECK(testing::SqlText(db, "SELECT group_concat(frame_time) FROM signals") == "0.0,1.0");
}

}  // namespace
}  // namespace hashwatch
