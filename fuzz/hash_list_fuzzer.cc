// libFuzzer target: arbitrary bytes as a hash list to import (csv, plain or
// vPDQ; hash_list_parser.h). Each input goes through
// 1. catalog::ParseHashList, the pure parser, twice: without a case (a csv
//    list names its own cases) and with one (plain and vPDQ lists need it);
// 2. when a parse succeeded, Catalog::ImportHashes of the same bytes into a
//    real catalog (SQLite file in a private temporary folder, made once per process
//    and started afresh every kFreshCatalogAfter imports so that it stays
//    small), so that the SQL path, the case checks and the index update run
//    too.
// Besides crashes, hangs and sanitizer reports, these are findings (the
// process aborts, naming the broken promise):
// - a list the parser accepted that the import refuses for another reason
//   than a case id or label it may not hold (InvalidArgument): e.g. a value
//   the parser let through that the schema's CHECKs reject;
// - a matchable imported hash that MatchSignal does not find at distance 0
//   right after the import returned.
//
// Build and run: scripts/fuzz.sh (docs/reliability.md, "Fuzzing").
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include "catalog/hash_list_parser.h"
#include "hashwatch/catalog.h"
#include "scratch_folder.h"

namespace {

namespace fs = std::filesystem;
using hashwatch::catalog::HashList;
using hashwatch::catalog::HashListParseOptions;
using hashwatch::catalog::ParseHashList;

constexpr char kCase[] = "FUZZ-1";
constexpr int kFreshCatalogAfter = 500;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "hash_list_fuzzer: broken promise: %s %s\n", what, detail.c_str());
  std::abort();
}

// The catalog the imports go into, in a private folder (scratch_folder.h).
class ScratchCatalog {
 public:
  ScratchCatalog() : folder_("hash-list-fuzzer"), path_(folder_.File("catalog.db")) {}
  ~ScratchCatalog() { catalog_.reset(); }  // before the folder goes

  hashwatch::Catalog& Get() {
    if (catalog_ == nullptr || imports_ >= kFreshCatalogAfter) {
      catalog_.reset();
      for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ignored;
        fs::remove(path_ + suffix, ignored);
      }
      hashwatch::CatalogOptions options;
      options.enrol_local_features = false;
      absl::StatusOr<std::unique_ptr<hashwatch::Catalog>> opened =
          hashwatch::Catalog::Open(path_, options);
      Check(opened.ok(), "creating the scratch catalog", std::string(opened.status().message()));
      catalog_ = *std::move(opened);
      imports_ = 0;
    }
    ++imports_;
    return *catalog_;
  }

 private:
  hashwatch_fuzz::ScratchFolder folder_;
  std::string path_;
  std::unique_ptr<hashwatch::Catalog> catalog_;
  int imports_ = 0;
};

absl::StatusOr<HashList> Parse(std::string_view bytes, const HashListParseOptions& options) {
  std::istringstream in{std::string(bytes)};
  return ParseHashList(in, options);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ScratchCatalog* const scratch = new ScratchCatalog();  // removed by atexit below
  static const bool registered = [] {
    std::atexit([] { delete scratch; });
    return true;
  }();
  (void)registered;

  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // A csv list with its own case column; then as the CLI's --case gives it.
  const absl::StatusOr<HashList> own_cases = Parse(bytes, {.case_id = "", .label = "fuzz"});
  const absl::StatusOr<HashList> one_case = Parse(bytes, {.case_id = kCase, .label = "fuzz"});
  if (own_cases.ok()) {
    Check(own_cases->format == hashwatch::catalog::HashListFormat::kCsv,
          "only a csv list parses without a case");
  }
  if (!own_cases.ok() && !one_case.ok()) return 0;
  const HashList& list = own_cases.ok() ? *own_cases : *one_case;
  for (const auto& entry : list.entries) {
    Check(entry.case_index < list.cases.size(), "an entry's case index names a case");
    Check(entry.quality >= -1 && entry.quality <= 100, "quality is -1 or 0..100");
  }

  hashwatch::ImportRequest request;
  request.case_id = own_cases.ok() ? "" : kCase;
  request.label = "fuzz";
  request.source_name = "fuzz-input";
  request.operator_name = "fuzzer";
  std::istringstream in{std::string(bytes)};
  hashwatch::Catalog& catalog = scratch->Get();
  absl::StatusOr<hashwatch::ImportResult> imported = catalog.ImportHashes(request, in);
  if (!imported.ok()) {
    // The parser's list may hold a case id or label the catalog refuses
    // (control characters): that is a clear per-list error. Anything else is
    // the parser and the database disagreeing.
    Check(imported.status().code() == absl::StatusCode::kInvalidArgument,
          "an import of a list the parser accepted failed with", imported.status().ToString());
    return 0;
  }
  Check(imported->signals + imported->duplicates == static_cast<int64_t>(list.entries.size()),
        "every entry is stored or counted as a duplicate");

  // The first entry, when matchable, is found at once.
  const auto& first = list.entries.front();
  if (first.quality < 0 || first.quality >= 50) {
    hashwatch::Signal pdq;
    pdq.type = "pdq";
    pdq.hash.assign(first.pdq.begin(), first.pdq.end());
    pdq.quality = 100;
    hashwatch::MatchOptions options;
    options.threshold = 0;
    options.dihedral = false;
    absl::StatusOr<hashwatch::MatchResult> matched = catalog.MatchSignal(pdq, options);
    Check(matched.ok(), "MatchSignal after an import",
          matched.ok() ? "" : matched.status().ToString());
    Check(!matched->matches.empty(), "an imported matchable hash matches itself at distance 0");
  }
  return 0;
}
