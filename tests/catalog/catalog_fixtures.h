// Helpers shared by the catalog tests: random PDQ-like hashes, the demo
// scan set's expectations, and a raw SQLite look at a catalog file.
#ifndef HASHWATCH_TESTS_CATALOG_CATALOG_FIXTURES_H_
#define HASHWATCH_TESTS_CATALOG_CATALOG_FIXTURES_H_

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "hashwatch/catalog.h"
#include "hashwatch/signal_type.h"
#include "test_support.h"

namespace hashwatch::testing {

// The known photos of testdata/known (the demo's victim case).
inline constexpr const char* kKnownPhotos[] = {"astronaut.jpg", "coast.jpg", "coffee.jpg",
                                               "rocket.jpg", "tulips.jpg"};

// A random 64-digit PDQ hex hash.
inline std::string RandomPdqHex(std::mt19937_64& rng) {
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (int i = 0; i < 64; ++i) hex += kHex[rng() & 15];
  return hex;
}

// A PDQ signal (no variants) from hex, for Catalog::MatchSignal.
inline MatchOptions Threshold(int threshold) {
  MatchOptions o;
  o.threshold = threshold;
  return o;
}

// PDQ of the whole file and its dihedral variants only: no views, no
// verification (docs/robustness.md).
inline MatchOptions PlainPdq(int threshold = 31) {
  MatchOptions o;
  o.threshold = threshold;
  o.query_views = false;
  o.stored_views = false;
  o.verify = false;
  return o;
}

inline Signal PdqSignal(const std::string& hex, int quality = 100) {
  Signal s;
  s.type = "pdq";
  s.hash = *FindSignalType("pdq")->Parse(hex);
  s.quality = quality;
  return s;
}

// One row of testdata/scan_expected.tsv.
struct ScanExpectation {
  std::string file;     // in testdata/crawled/
  std::string copy_of;  // in testdata/known/, or "-" for an unrelated photo
  std::string edit;
};

inline std::vector<ScanExpectation> ReadScanExpectations() {
  std::ifstream in(TestdataDir() / "scan_expected.tsv");
  std::vector<ScanExpectation> rows;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    ScanExpectation e;
    std::getline(fields, e.file, '\t');
    std::getline(fields, e.copy_of, '\t');
    std::getline(fields, e.edit, '\t');
    if (!e.file.empty()) rows.push_back(e);
  }
  return rows;
}

// Copies that PDQ (with dihedral variants) cannot match at distance 31: the
// 4% crop moves ~36 bits, PDQ's known weakness with crops (design.md
// section 4: Thorn measured 9% recall for a 5% crop). The verification
// stage finds them (docs/robustness.md).
inline bool KnownPdqMiss(const ScanExpectation& e) {
  return e.edit.rfind("cropped", 0) == 0;
}

// Permission bits of a file (0 when it does not exist).
inline unsigned FileMode(const std::filesystem::path& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

// A single-value query against a catalog file through SQLite itself.
inline std::string SqlText(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  std::string out = "<error>";
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return out;
}

// Runs statements against a catalog file through SQLite itself; true on success.
inline bool SqlExec(const std::filesystem::path& db, const std::string& sql) {
  sqlite3* h = nullptr;
  bool ok = sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
            SQLITE_OK;
  ok = ok && sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
  sqlite3_close(h);
  return ok;
}

inline int64_t SqlInt(const std::filesystem::path& db, const std::string& sql) {
  return std::stoll(SqlText(db, sql));
}

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_CATALOG_CATALOG_FIXTURES_H_
