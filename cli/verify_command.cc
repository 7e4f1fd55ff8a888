// hashwatch verify: checks a catalog and says what is wrong, changing nothing.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "catalog_options.h"
#include "commands.h"
#include "common_options.h"
#include "record_writer.h"

namespace hashwatch::cli {
namespace {

struct VerifyArgs {
  std::string db;
  OutputFormat format = OutputFormat::kJsonl;
  EmbeddingArgs embedding;
};

int RunVerify(const VerifyArgs& args) {
  CatalogOptions options;
  if (!ApplyEmbeddingOptions("verify", args.embedding, &options)) return kExitUsage;
  absl::StatusOr<VerifyReport> report = VerifyCatalog(args.db, options);
  if (!report.ok()) {
    ReportError("verify", report.status());
    return kExitUsage;
  }
  Record r;
  r["catalog"] = args.db;
  r["ok"] = report->ok;
  r["schema_version"] = report->schema_version;
  r["cases"] = report->cases;
  r["items"] = report->items;
  r["signals"] = report->signals;
  r["audit_entries"] = report->audit_entries;
  r["indexed_hashes"] = report->indexed_hashes;
  if (options.embedding != nullptr) r["indexed_embeddings"] = report->indexed_embeddings;
  r["problems_found"] = report->problems_found;
  if (args.format == OutputFormat::kJsonl) {
    r["problems"] = report->problems;
    r["notes"] = report->notes;
  } else {
    // One cell each: the problems in listed order, "; " between them.
    r["problems"] = absl::StrJoin(report->problems, "; ");
    r["notes"] = absl::StrJoin(report->notes, "; ");
  }
  std::vector<std::string> columns;
  for (const auto& [key, value] : r.items()) columns.push_back(key);
  {
    RecordWriter writer(args.format, columns);
    writer.Write(r);
  }
  if (report->ok) return kExitOk;
  std::fprintf(stderr, "hashwatch verify: %s: %lld problem(s) found\n", args.db.c_str(),
               static_cast<long long>(report->problems_found));
  return kExitSomeFailed;
}

}  // namespace

void RegisterVerifyCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Check a catalog and say what is wrong with it (reads only; changes nothing)");
  cmd->footer(
      "Checks, reading the file only (no upgrade, no repair, never creates a file):\n"
      "  - the file: a regular file of yours, mode 0600, not reached through a symlink;\n"
      "  - SQLite's integrity_check (pages, indexes, NOT NULL, CHECK, STRICT types)\n"
      "    and foreign_key_check (items of missing cases, signals of missing items);\n"
      "  - the schema version is one this hashwatch knows, and the tables, columns,\n"
      "    indexes and triggers (the audit log's append-only rule) are as it makes them;\n"
      "  - every stored hash is loadable: a 32-byte PDQ, a 16-byte MD5, a keypoint\n"
      "    list, an embedding; a bad one is named by its signal and item id;\n"
      "  - the search index, built as every command builds it when it opens the\n"
      "    catalog, holds every matchable hash of the open cases, none of a withdrawn\n"
      "    case's, and agrees with the tables in size and item -> case.\n"
      "Prints one record: catalog, ok, schema_version, cases, items, signals,\n"
      "audit_entries, indexed_hashes, problems_found, problems (the first 100), notes.\n"
      "A file that is not a catalog (not SQLite, another program's SQLite file, a\n"
      "catalog of a newer hashwatch) is refused and left as it was.\n"
      "Exit status: 0 sound, 1 problems found (listed), 2 usage error or a file that\n"
      "cannot be checked at all (missing, not a catalog).\n"
      "Example: hashwatch verify --db cases.db --format table\n"
      "Details: docs/catalog.md");
  cmd->add_option("--db", args->db, "The catalog file to check (opened read-only)")
      ->required()
      ->type_name("FILE");
  AddFormatOption(cmd, args->format, /*allow_table=*/true);
  cmd->add_flag("--embedding", args->embedding.on,
                "Also check the embedding index, built with the default model as 'scan "
                "--embedding' builds it (without it, embeddings are only parsed)");
  cmd->add_option("--embedding-model", args->embedding.settings,
                  "The same with another model's settings file (model.json); implies --embedding")
      ->type_name("FILE");
  cmd->callback([args, &exit_code] { exit_code = RunVerify(*args); });
}

}  // namespace hashwatch::cli
