// hashwatch-bench catalog: how long a catalog of N PDQ hashes takes to open
// (SQLite read + index build), which is what every `hashwatch scan` and every
// restart of the monitoring pipeline pays. Results: docs/catalog.md.
//
// The catalog is filled through the public import path (plain hash lists of
// `--chunk` lines, one transaction each), then closed, and then opened
// `--rounds` times; each open is timed from Catalog::Open's call to its
// return.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bench_commands.h"
#include "hashwatch/catalog.h"
#include "measure.h"

namespace hashwatch::bench {
namespace {

// splitmix64 (Steele, Lea, Flood 2014).
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Peak and current resident memory of this process, in bytes.
void ResidentBytes(int64_t* current, int64_t* peak) {
  std::ifstream status("/proc/self/status");
  std::string line;
  *current = *peak = 0;
  while (std::getline(status, line)) {
    long long kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lld kB", &kb) == 1) *current = kb * 1024;
    if (std::sscanf(line.c_str(), "VmHWM: %lld kB", &kb) == 1) *peak = kb * 1024;
  }
}

int Fill(const std::string& db, int64_t n, int64_t chunk, uint64_t seed) {
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(db);
  if (!catalog.ok()) {
    std::fprintf(stderr, "catalog: %s\n", std::string(catalog.status().message()).c_str());
    return 1;
  }
  const Clock::time_point start = Clock::now();
  uint64_t state = seed;
  static const char kHex[] = "0123456789abcdef";
  for (int64_t done = 0; done < n;) {
    const int64_t lines = std::min(chunk, n - done);
    std::string text;
    text.reserve(static_cast<size_t>(lines) * 65);
    for (int64_t i = 0; i < lines; ++i) {
      for (int w = 0; w < 4; ++w) {
        uint64_t r = NextRandom(state);
        for (int k = 0; k < 16; ++k, r >>= 4) text += kHex[r & 15];
      }
      text += '\n';
    }
    std::istringstream in(std::move(text));
    ImportRequest request{.case_id = "bench-" + std::to_string(done / chunk),
                          .label = "synthetic",
                          .source_name = "bench",
                          .operator_name = "hashwatch-bench",
                          .max_hashes = ImportRequest().max_hashes};
    absl::StatusOr<ImportResult> result = (*catalog)->ImportHashes(request, in);
    if (!result.ok()) {
      std::fprintf(stderr, "import: %s\n", std::string(result.status().message()).c_str());
      return 1;
    }
    done += lines;
    std::fprintf(stderr, "\rfilled %" PRId64 " / %" PRId64 " (%.0f s)", done, n,
                 Seconds(start, Clock::now()));
  }
  std::fprintf(stderr, "\n");
  std::printf("fill: %" PRId64 " hashes in %.1f s\n", n, Seconds(start, Clock::now()));
  return 0;
}

}  // namespace

int RunCatalogBench(int argc, char** argv) {
  CLI::App app{
      "Catalog open time (SQLite read + PDQ index build) at N hashes.\n"
      "Creates DB with N random PDQ hashes unless it already exists, then opens it."};
  int64_t n = 1'000'000;
  int64_t chunk = 1'000'000;
  int rounds = 2;
  std::string db;
  bool keep = false;
  app.add_option("--n", n, "Hashes to put into a new catalog")->capture_default_str();
  app.add_option("--chunk", chunk, "Hashes per import transaction")->capture_default_str();
  app.add_option("--rounds", rounds, "Times to open the catalog")->capture_default_str();
  app.add_option("--db", db, "Catalog file (default: a temporary file, removed afterwards)");
  app.add_flag("--keep", keep, "Keep the temporary catalog");
  CLI11_PARSE(app, argc, argv);

  const bool temporary = db.empty();
  if (temporary) {
    db = (std::filesystem::temp_directory_path() /
          ("hashwatch-catalog-bench-" + std::to_string(::getpid()) + ".db"))
             .string();
  }
  if (!std::filesystem::exists(db)) {
    if (int rc = Fill(db, n, std::max<int64_t>(1, chunk), 42); rc != 0) return rc;
  }
  std::error_code ec;
  std::printf("catalog: %s, %.1f MB\n", db.c_str(),
              static_cast<double>(std::filesystem::file_size(db, ec)) / 1e6);
  for (int r = 0; r < rounds; ++r) {
    CatalogOptions options;
    options.create_if_missing = false;
    const Clock::time_point start = Clock::now();
    absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(db, options);
    const double open_seconds = Seconds(start, Clock::now());
    if (!catalog.ok()) {
      std::fprintf(stderr, "open: %s\n", std::string(catalog.status().message()).c_str());
      return 1;
    }
    absl::StatusOr<CatalogStats> stats = (*catalog)->Stats();
    int64_t rss = 0, peak = 0;
    ResidentBytes(&rss, &peak);
    if (stats.ok()) {
      std::printf("open %d: %.2f s (read %.2f s, index build %.2f s), %" PRId64
                  " hashes indexed, index %.1f bytes/hash, resident %.0f MB (peak %.0f MB)\n",
                  r + 1, open_seconds, stats->open_read_seconds, stats->open_index_seconds,
                  stats->indexed_hashes,
                  stats->indexed_hashes ? static_cast<double>(stats->index_memory_bytes) /
                                              static_cast<double>(stats->indexed_hashes)
                                        : 0.0,
                  static_cast<double>(rss) / 1e6, static_cast<double>(peak) / 1e6);
    }
  }
  if (temporary && !keep) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
  }
  return 0;
}

}  // namespace hashwatch::bench
