// hashwatch import: add a hash list from another centre or a platform.
#include <cstdio>
#include <iostream>
#include <string>

#include "catalog_options.h"
#include "commands.h"

namespace hashwatch::cli {
namespace {

struct ImportArgs {
  std::string db;
  std::string case_id;
  std::string label;
  std::string operator_name;
  std::string in;
  int64_t max_hashes = ImportRequest().max_hashes;
};

int RunImport(const ImportArgs& args) {
  std::unique_ptr<Catalog> catalog = OpenCatalogOrReport("import", args.db, /*create=*/true);
  if (catalog == nullptr) return kExitUsage;
  ImportRequest request{.case_id = args.case_id,
                        .label = args.label,
                        .source_name = args.in == "-" ? "stdin" : args.in,
                        .operator_name = args.operator_name,
                        .max_hashes = args.max_hashes};
  absl::StatusOr<ImportResult> result = args.in == "-"
                                            ? catalog->ImportHashes(request, std::cin)
                                            : catalog->ImportHashesFromFile(request, args.in);
  if (!result.ok()) {
    ReportError("import", result.status());
    return kExitSomeFailed;
  }
  std::printf("imported %lld hash(es) as %lld item(s) from a %s list; %lld case(s) created",
              static_cast<long long>(result->signals), static_cast<long long>(result->items),
              result->format.c_str(), static_cast<long long>(result->cases_created));
  if (result->duplicates > 0) {
    std::printf("; %lld already in their case, skipped",
                static_cast<long long>(result->duplicates));
  }
  if (result->indexed < result->signals) {
    std::printf("; %lld of low quality stored but will not match",
                static_cast<long long>(result->signals - result->indexed));
  }
  std::printf("\n");
  return kExitOk;
}

}  // namespace

void RegisterImportCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand(
      "import", "Add a hash list to the catalog, all of it in one transaction or nothing");
  cmd->footer(
      "Formats, recognised from the first line:\n"
      "  csv    header 'pdq_hex,quality,case,label' (what 'hashwatch export' writes);\n"
      "         each line's case is created if needed (--case puts all into one case)\n"
      "  plain  one 64-digit PDQ hex hash per line (needs --case)\n"
      "  vpdq   Meta's vPDQ frames 'frame_number,quality,pdq_hex,timestamp': one video,\n"
      "         stored as one item with a hash per frame (needs --case)\n"
      "Blank lines and lines starting with '#' are skipped. Bad lines are listed with\n"
      "their line numbers and nothing is imported. A line over 64 KiB, or more hashes\n"
      "than --max-hashes, refuses the whole list. Labels and case ids that CSV export\n"
      "wrote with a leading apostrophe (against spreadsheet formulas) lose it again.\n"
      "A hash already in its case is skipped. Hashes with quality below 50 are stored\n"
      "but will not match.\n"
      "Exit status: 0 imported, 1 the list was refused (nothing imported), 2 usage error\n"
      "or no usable catalog.\n"
      "Example: hashwatch import --db cases.db --case 2024-0113 hashes.txt\n"
      "Details: docs/catalog.md");
  AddDbOption(cmd, args->db);
  AddCaseOption(cmd, args->case_id, "Put every hash into this case", /*required=*/false);
  cmd->add_option("--label", args->label, "Label for a case the import creates")->type_name("TEXT");
  AddOperatorOption(cmd, args->operator_name);
  cmd->add_option("--max-hashes", args->max_hashes,
                  "Refuse a list with more hashes than this (the list is checked whole in "
                  "memory before anything is stored, about 80 bytes a hash)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("in", args->in, "The hash list; '-' reads stdin")->required()->type_name("IN");
  cmd->callback([args, &exit_code] { exit_code = RunImport(*args); });
}

}  // namespace hashwatch::cli
