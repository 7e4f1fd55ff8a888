// The options of the commands that match files against the catalog (scan,
// worker): thresholds and steps, limits, crash isolation, freshness; and the
// CatalogOptions and MatchOptions they make.
#ifndef HASHWATCH_CLI_MATCH_OPTIONS_H_
#define HASHWATCH_CLI_MATCH_OPTIONS_H_

#include <string>

#include "catalog_options.h"
#include "common_options.h"
#include "hashwatch/catalog.h"

namespace hashwatch::cli {

struct MatchArgs {
  MatchOptions match;
  bool no_dihedral = false;
  bool no_views = false;
  bool no_verify = false;
  EmbeddingArgs embedding;
  int jobs = DefaultJobs();
  DecodeLimits limits;
  bool isolate = false;
  double worker_memory_mb = IsolationOptions().memory_limit_bytes / double{1 << 20};
  double file_seconds = 0;
  double freshness = CatalogOptions().max_staleness_seconds;
};

void AddMatchArgs(CLI::App* cmd, MatchArgs& a);

// Fills `options` and `match` from the arguments; false (after saying why)
// when the embedding model cannot be loaded.
bool ApplyMatchArgs(const std::string& command, const MatchArgs& a, CatalogOptions* options,
                    MatchOptions* match);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_MATCH_OPTIONS_H_
