// End-to-end: `hashwatch verify` of the built binary.
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "../catalog/catalog_fixtures.h"
#include "cli_test_support.h"
#include "test_support.h"

namespace hashwatch::testing {
namespace {

namespace fs = std::filesystem;

bool SameBytes(const fs::path& path, const std::vector<uint8_t>& before) {
  return ReadFileBytes(path) == before;
}

// A catalog of `n` imported random hashes in case L.
void ImportList(const fs::path& db, int n) {
  std::mt19937_64 rng(11);
  std::string list;
  for (int i = 0; i < n; ++i) list += RandomPdqHex(rng) + "\n";
  CommandResult r = RunCommand(Hw() + " import --db " + Q(db) + " --case L -", list);
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
}

TEST_CASE("hashwatch verify: a sound catalog is ok, exit 0", "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "cases.db";
  ImportList(db, 20);
  const std::vector<uint8_t> before = ReadFileBytes(db);

  CommandResult r = RunCommand(Hw() + " verify --db " + Q(db));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 1);
  const nlohmann::json& v = lines[0];
  CHECK(v["catalog"] == db.string());
  CHECK(v["ok"] == true);
  CHECK(v["schema_version"] == 2);
  CHECK(v["cases"] == 1);
  CHECK(v["items"] == 20);
  CHECK(v["signals"] == 20);
  CHECK(v["indexed_hashes"] == 20);
  CHECK(v["problems_found"] == 0);
  CHECK(v["problems"].empty());
  CHECK(SameBytes(db, before));

  CommandResult table = RunCommand(Hw() + " verify --format table --db " + Q(db));
  INFO(table.err);
  CHECK(table.exit_code == 0);
  CHECK_THAT(table.out, Catch::StartsWith("catalog"));
  CHECK_THAT(table.out, Catch::Contains("problems_found"));
  CHECK_THAT(table.out, Catch::Contains("true"));
}

TEST_CASE("hashwatch verify: a damaged hash is named, exit 1", "[catalog][cli]") {
  TempDir dir;
  const fs::path db = dir.path() / "cases.db";
  ImportList(db, 5);
  REQUIRE(SqlExec(db, "UPDATE signals SET hash = x'00ff' WHERE id = 3"));
  const int64_t item = SqlInt(db, "SELECT item_id FROM signals WHERE id = 3");

  CommandResult r = RunCommand(Hw() + " verify --db " + Q(db));
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const std::vector<nlohmann::json> lines = JsonLines(r.out);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0]["ok"] == false);
  CHECK(lines[0]["problems_found"].get<int>() >= 1);
  CHECK_THAT(lines[0]["problems"].dump(),
             Catch::Contains("signal 3 (pdq) of item " + std::to_string(item)));
  CHECK_THAT(r.err, Catch::Contains("problem(s) found"));
}

TEST_CASE("hashwatch verify: what cannot be checked is refused, exit 2, and left as it was",
          "[catalog][cli]") {
  TempDir dir;
  const fs::path noise = dir.path() / "noise.db";
  std::mt19937 rng(3);
  std::vector<uint8_t> bytes(4096);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  WriteFileBytes(noise, bytes);
  CommandResult r = RunCommand(Hw() + " verify --db " + Q(noise));
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains(noise.string() + ": not a hashwatch catalog"));
  CHECK(SameBytes(noise, bytes));

  const fs::path missing = dir.path() / "missing.db";
  CommandResult none = RunCommand(Hw() + " verify --db " + Q(missing));
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("no catalog here"));
  CHECK_FALSE(fs::exists(missing));

  CHECK(RunCommand(Hw() + " verify").exit_code == 2);  // --db is required
}

TEST_CASE("hashwatch verify --help says what is checked", "[catalog][cli]") {
  CommandResult r = RunCommand(Hw() + " verify --help");
  CHECK(r.exit_code == 0);
  for (const char* what : {"integrity_check", "foreign_key_check", "schema version", "withdrawn",
                           "Exit status", "read-only"}) {
    CHECK_THAT(r.out, Catch::Contains(what));
  }
}

}  // namespace
}  // namespace hashwatch::testing
