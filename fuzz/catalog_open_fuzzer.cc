// libFuzzer target: opening a damaged catalog file. Each input is written to
// a new file (mode 0600, in a private temporary folder: scratch_folder.h) and
// given to Catalog::Open with create_if_missing = false, as `hashwatch scan
// --db FILE` would open it. When it opens, Stats, a MatchSignal of one hash,
// an ExportHashes of every open case and a Refresh run on it.
//
// The contract: an error or a result, never a crash, hang or sanitizer
// report; and a file that is not a hashwatch catalog (its SQLite header does
// not carry hashwatch's application_id) and that Open refused is left exactly
// as it was. A change to such a file aborts the process, naming it.
// With CATALOG_OPEN_FUZZER_ALLOW_WAL_SWITCH=1 in the environment, a change
// confined to the SQLite header fields that "PRAGMA journal_mode = WAL"
// rewrites is tolerated: the finding in testdata/fuzz_regressions/
// catalog_open_fuzzer/README.md, so that a long run can look further while it
// is not fixed.
// Seeds: testdata/catalog/schema1.db and testdata/fuzz_seeds/catalog_open/
// (small catalogs made with the CLI); scripts/fuzz.sh passes them.
//
// Build and run: scripts/fuzz.sh (docs/reliability.md, "Fuzzing").
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "hashwatch/catalog.h"
#include "scratch_folder.h"

namespace {

namespace fs = std::filesystem;

// engine/src/catalog/catalog_schema.h: kCatalogApplicationId ("hwct"),
// stored big-endian at offset 68 of the SQLite header.
constexpr uint8_t kApplicationId[4] = {0x68, 0x77, 0x63, 0x74};
constexpr size_t kApplicationIdOffset = 68;

void Check(bool ok, const char* what, const std::string& detail = "") {
  if (ok) return;
  std::fprintf(stderr, "catalog_open_fuzzer: broken promise: %s %s\n", what, detail.c_str());
  std::abort();
}

// True when `before` and `after` differ only in the header fields a switch
// to WAL mode writes: the file format versions (bytes 18-19), the change
// counter (24-27), version-valid-for and the SQLite version (92-99).
bool OnlyWalSwitch(const uint8_t* before, size_t size, const std::vector<uint8_t>& after) {
  if (after.size() != size) return false;
  for (size_t i = 0; i < size; ++i) {
    const bool header_field = i == 18 || i == 19 || (i >= 24 && i < 28) || (i >= 92 && i < 100);
    if (before[i] != after[i] && !header_field) return false;
  }
  return true;
}

bool CarriesCatalogId(const uint8_t* data, size_t size) {
  if (size < kApplicationIdOffset + 4) return false;
  for (size_t i = 0; i < 4; ++i) {
    if (data[kApplicationIdOffset + i] != kApplicationId[i]) return false;
  }
  return true;
}

// The file each input is written to, in a private folder.
class ScratchCatalog {
 public:
  ScratchCatalog() : folder_("catalog-open-fuzzer"), path_(folder_.File("catalog.db")) {}
  const std::string& path() const { return path_; }

  // The catalog file and SQLite's companions beside it.
  void Clean() const {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::error_code ignored;
      fs::remove(path_ + suffix, ignored);
    }
  }

  void Write(const uint8_t* data, size_t size) const {
    Clean();
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    Check(fd >= 0, "creating the scratch file", path_);
    Check(::fchmod(fd, 0600) == 0, "making the scratch file owner-only", path_);  // any umask
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::write(fd, data + done, size - done);
      Check(n > 0, "writing the scratch file", path_);
      done += static_cast<size_t>(n);
    }
    ::close(fd);
  }

  std::vector<uint8_t> Read() const {
    std::ifstream in(path_, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
  }

 private:
  hashwatch_fuzz::ScratchFolder folder_;
  std::string path_;
};

void UseCatalog(hashwatch::Catalog& catalog) {
  (void)catalog.Stats();
  hashwatch::Signal pdq;
  pdq.type = "pdq";
  // A PDQ hash from testdata/catalog/README.md (skimage coffee).
  constexpr uint8_t kHash[32] = {0x8c, 0x62, 0x9e, 0x77, 0x9a, 0x66, 0x36, 0x98, 0xb9, 0xa3, 0x38,
                                 0x66, 0xc0, 0x26, 0x72, 0x6c, 0x21, 0xa6, 0x79, 0xf6, 0x1e, 0xa6,
                                 0xb6, 0xe1, 0xf8, 0xc7, 0x9b, 0xa7, 0xe2, 0x3c, 0x82, 0x99};
  pdq.hash.assign(std::begin(kHash), std::end(kHash));
  pdq.quality = 100;
  (void)catalog.MatchSignal(pdq);
  std::ostringstream list;
  (void)catalog.ExportHashes({.operator_name = "fuzzer", .destination = "fuzz"}, list);
  (void)catalog.Refresh();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ScratchCatalog* const scratch = new ScratchCatalog();
  static const bool registered = [] {
    std::atexit([] { delete scratch; });
    return true;
  }();
  (void)registered;

  scratch->Write(data, size);
  hashwatch::CatalogOptions options;
  options.create_if_missing = false;
  options.busy_timeout_ms = 100;  // nothing else uses the file
  absl::StatusOr<std::unique_ptr<hashwatch::Catalog>> catalog =
      hashwatch::Catalog::Open(scratch->path(), options);
  if (catalog.ok()) {
    UseCatalog(**catalog);
    catalog->reset();
  } else if (!CarriesCatalogId(data, size)) {
    static const bool allow_wal_switch =
        std::getenv("CATALOG_OPEN_FUZZER_ALLOW_WAL_SWITCH") != nullptr &&
        std::string(std::getenv("CATALOG_OPEN_FUZZER_ALLOW_WAL_SWITCH")) == "1";
    const std::vector<uint8_t> after = scratch->Read();
    const bool unchanged = after.size() == size && std::equal(after.begin(), after.end(), data);
    Check(unchanged || (allow_wal_switch && OnlyWalSwitch(data, size, after)),
          "Open refused a file that is not a hashwatch catalog and changed it:",
          catalog.status().ToString());
  }
  scratch->Clean();
  return 0;
}
