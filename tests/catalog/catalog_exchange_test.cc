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
  return {.case_id = case_id,
          .label = "",
          .source_name = source,
          .operator_name = "tester",
          .max_hashes = ImportRequest().max_hashes};
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
  absl::StatusOr<ImportResult> back =
      b->ImportHashesFromFile({.case_id = "",
                               .label = "",
                               .source_name = "",
                               .operator_name = "",
                               .max_hashes = ImportRequest().max_hashes},
                              out.string());
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

// Issue 9: labels (chosen by whoever submitted a list) were exported as they
// are, and a partner opening the CSV in a spreadsheet ran them as formulas.
TEST_CASE("Exported labels cannot run as spreadsheet formulas and still import unchanged",
          "[catalog]") {
  TempDir dir;
  std::mt19937_64 rng(3);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"f1", "=HYPERLINK(\"http://x\",\"y\")"},
      {"f2", "+1+cmd|' /C calc'!A0"},
      {"f3", "-2+3"},
      {"f4", "@SUM(1)"},
      {"f5", "'=already quoted"},
      {"-6", "plain label"},
  };
  auto a = OpenOrDie(dir.path() / "a.db");
  std::string list = "pdq_hex,quality,case,label\n";
  for (const auto& [id, label] : cases) {
    std::string quoted;
    for (char c : label) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    list += testing::RandomPdqHex(rng) + ",90," + id + ",\"" + quoted + "\"\n";
  }
  // The list itself is written the unsafe way a partner might: fields taken
  // as they are (only "'=already quoted" carries an apostrophe on purpose,
  // and import reads it as the label "=already quoted").
  REQUIRE(Import(*a, list, Request("")).ok());
  std::ostringstream out;
  REQUIRE(a->ExportHashes({.case_id = "", .operator_name = "", .destination = "mem"}, out).ok());
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);  // header
  int rows = 0;
  while (std::getline(lines, line)) {
    ++rows;
    // After the hash and the quality, no field starts with a formula character.
    const std::string rest = line.substr(line.find(',', 65) + 1);
    for (char bad : {'=', '+', '-', '@'}) {
      CHECK(rest.find(std::string(",") + bad) == std::string::npos);
      CHECK(rest.find(std::string(",\"") + bad) == std::string::npos);
      CHECK(rest.front() != bad);
    }
  }
  CHECK(rows == 6);
  CHECK_THAT(out.str(), Catch::Contains("'-6,plain label") &&
                            Catch::Contains(",f1,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"") &&
                            Catch::Contains(",f3,'-2+3"));

  // Read back into another catalog, every case id and label is what it was.
  auto b = OpenOrDie(dir.path() / "b.db");
  REQUIRE(Import(*b, out.str(), Request("")).ok());
  std::ostringstream again;
  REQUIRE(b->ExportHashes({.case_id = "", .operator_name = "", .destination = "mem"}, again).ok());
  CHECK(again.str() == out.str());
  CHECK(testing::SqlText(dir.path() / "b.db", "SELECT label FROM cases WHERE id = 'f1'") ==
        "=HYPERLINK(\"http://x\",\"y\")");
  CHECK(testing::SqlText(dir.path() / "b.db", "SELECT label FROM cases WHERE id = 'f5'") ==
        "=already quoted");
  CHECK(testing::SqlInt(dir.path() / "b.db", "SELECT count(*) FROM cases WHERE id = '-6'") == 1);
}

// Issue 9: the audit entry was committed before the rename that publishes the
// export, so a failed rename left a record of an export that never happened
// (and the folder was not synced after the rename).
TEST_CASE("An export that cannot be put in place leaves no file, no temporary and no audit entry",
          "[catalog]") {
  TempDir dir;
  std::mt19937_64 rng(5);
  auto a = OpenOrDie(dir.path() / "a.db");
  REQUIRE(Import(*a, testing::RandomPdqHex(rng) + "\n", Request("c")).ok());
  const int64_t entries = a->Stats()->audit_entries;
  // The destination is a folder that is not empty: rename(2) fails.
  const fs::path occupied = dir.path() / "occupied";
  fs::create_directories(occupied / "inside");
  absl::StatusOr<ExportResult> r = a->ExportHashesToFile({}, occupied.string());
  CHECK(r.status().code() == absl::StatusCode::kUnavailable);
  CHECK_THAT(std::string(r.status().message()), Catch::Contains("cannot put the export in place"));
  CHECK(a->Stats()->audit_entries == entries);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path())) ++files;
  CHECK(files == 4);  // a.db, its -wal and -shm, and the folder: no temporary left
  // A good destination gets its file and one entry.
  REQUIRE(a->ExportHashesToFile({}, (dir.path() / "ok.csv").string()).ok());
  CHECK(a->Stats()->audit_entries == entries + 1);
}

// Issue 9: a list was read whole into memory with no limit.
TEST_CASE("Hash lists over the line or hash limit are refused without being read whole",
          "[catalog]") {
  TempDir dir;
  std::mt19937_64 rng(9);
  auto c = OpenOrDie(dir.path() / "c.db");
  std::string four;
  for (int i = 0; i < 4; ++i) four += testing::RandomPdqHex(rng) + "\n";
  ImportRequest small = Request("c");
  small.max_hashes = 3;
  absl::StatusOr<ImportResult> many = Import(*c, four, small);
  CHECK(many.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(many.status().message()), Catch::Contains("more than 3 hashes"));
  small.max_hashes = 4;
  CHECK(Import(*c, four, small).ok());

  // One endless line: refused after the first 64 KiB, the rest never read.
  std::string endless = "pdq_hex,quality,case,label\n" + std::string(1 << 20, 'a');
  std::istringstream in(endless);
  absl::StatusOr<ImportResult> long_line = c->ImportHashes(Request(""), in);
  CHECK(long_line.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(long_line.status().message()), Catch::Contains("line 2 is longer than"));
  CHECK(in.tellg() < (1 << 17));
  CHECK(c->Stats()->items == 4);
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
