// hashwatch stats: what the catalog holds.
#include <cstdio>
#include <string>

#include "catalog_options.h"
#include "commands.h"
#include "record_writer.h"

namespace hashwatch::cli {
namespace {

struct StatsArgs {
  std::string db;
  bool json = false;
};

int RunStats(const StatsArgs& args) {
  std::unique_ptr<Catalog> catalog = OpenCatalogOrReport("stats", args.db, /*create=*/false);
  if (catalog == nullptr) return kExitUsage;
  absl::StatusOr<CatalogStats> s = catalog->Stats();
  if (!s.ok()) {
    ReportError("stats", s.status());
    return kExitSomeFailed;
  }
  Record r;
  r["catalog"] = catalog->path();
  r["schema_version"] = s->schema_version;
  r["cases_open"] = s->cases_open;
  r["cases_withdrawn"] = s->cases_withdrawn;
  r["items"] = s->items;
  r["video_items"] = s->video_items;
  r["pdq_hashes"] = s->pdq_hashes;
  r["low_quality_hashes"] = s->low_quality_hashes;
  r["indexed_hashes"] = s->indexed_hashes;
  r["indexed_frames"] = s->indexed_frames;
  r["indexed_views"] = s->indexed_views;
  r["embeddings"] = s->embeddings;
  if (!s->embedding_model.empty()) {
    r["indexed_embeddings"] = s->indexed_embeddings;
    r["embedding_model"] = s->embedding_model;
    r["embedding_index"] = s->embedding_index;
    r["foreign_embeddings"] = s->foreign_embeddings;
  }
  r["audit_entries"] = s->audit_entries;
  r["file_bytes"] = s->file_bytes;
  r["index_memory_bytes"] = s->index_memory_bytes;
  r["open_read_seconds"] = s->open_read_seconds;
  r["open_index_seconds"] = s->open_index_seconds;
  if (args.json) {
    std::printf("%s\n", RecordWriter::Dump(r).c_str());
    return kExitOk;
  }
  for (const auto& [key, value] : r.items()) {
    const std::string text =
        value.is_string() ? value.get<std::string>() : RecordWriter::Dump(value);
    std::printf("%-20s %s\n", key.c_str(), text.c_str());
  }
  return kExitOk;
}

}  // namespace

void RegisterStatsCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<StatsArgs>();
  CLI::App* cmd = app.add_subcommand("stats", "Show what the catalog holds");
  cmd->footer(
      "Cases (open, withdrawn), items, PDQ hashes (and how many are of low quality and\n"
      "so never match), hashes in the search index, audit log entries, file size,\n"
      "index memory, and how long opening took.\n"
      "Exit status: 0 shown, 1 the catalog could not be read, 2 usage error or no catalog.\n"
      "Example: hashwatch stats --db cases.db\n"
      "Details: docs/catalog.md");
  AddDbOption(cmd, args->db);
  cmd->add_flag("--json", args->json, "Print one JSON object instead of 'name value' lines");
  cmd->callback([args, &exit_code] { exit_code = RunStats(*args); });
}

}  // namespace hashwatch::cli
