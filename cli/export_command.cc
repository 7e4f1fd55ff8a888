// hashwatch export: write the catalog's PDQ hashes as a shareable hash list.
#include <cstdio>
#include <iostream>
#include <string>

#include "catalog_options.h"
#include "commands.h"
#include "hashwatch/text.h"

namespace hashwatch::cli {
namespace {

struct ExportArgs {
  std::string db;
  std::string case_id;
  std::string operator_name;
  std::string out;
  int64_t video_item = 0;
};

int RunExport(const ExportArgs& args) {
  std::unique_ptr<Catalog> catalog = OpenCatalogOrReport("export", args.db, /*create=*/false);
  if (catalog == nullptr) return kExitUsage;
  ExportOptions options{.case_id = args.case_id,
                        .operator_name = args.operator_name,
                        .destination = args.out == "-" ? "stdout" : args.out,
                        .video_item = args.video_item};
  absl::StatusOr<ExportResult> result = args.out == "-"
                                            ? catalog->ExportHashes(options, std::cout)
                                            : catalog->ExportHashesToFile(options, args.out);
  if (!result.ok()) {
    ReportError("export", result.status());
    return kExitSomeFailed;
  }
  std::fprintf(stderr, "exported %lld hash(es) of %lld case(s) to %s\n",
               static_cast<long long>(result->hashes), static_cast<long long>(result->cases),
               PrintableText(options.destination).c_str());
  if (result->videos_left_out > 0) {
    std::fprintf(stderr, "%lld video(s) not in this list: export each with --video-item N (vPDQ)\n",
                 static_cast<long long>(result->videos_left_out));
  }
  return kExitOk;
}

}  // namespace

void RegisterExportCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd =
      app.add_subcommand("export", "Write the open cases' PDQ hashes as a CSV hash list to share");
  cmd->footer(
      "For another centre or a platform: a header 'pdq_hex,quality,case,label', then\n"
      "one hash per line. Hashes only: nothing of the images themselves. Withdrawn\n"
      "cases are never exported. The file is created owner-only (mode 0600), written\n"
      "completely or not at all, and the export is recorded in the audit log.\n"
      "'hashwatch import' reads it back.\n"
      "Videos: --video-item N writes that video's frames as Meta's vPDQ text\n"
      "(frame_number,quality,pdq_hex,timestamp per sampled moment) instead.\n"
      "Exit status: 0 written, 1 no such case or the write failed, 2 usage error or no\n"
      "usable catalog.\n"
      "Example: hashwatch export --db cases.db --case 2024-0113 case-2024-0113.csv\n"
      "Details: docs/catalog.md");
  AddDbOption(cmd, args->db);
  AddCaseOption(cmd, args->case_id, "Export only this case (default: every open case)",
                /*required=*/false);
  AddOperatorOption(cmd, args->operator_name);
  cmd->add_option("--video-item", args->video_item,
                  "Write this video item's frames as a vPDQ list (item numbers: enroll/scan "
                  "output)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("out", args->out, "The CSV (or vPDQ) file to write; '-' writes to stdout")
      ->required()
      ->type_name("OUT.csv");
  cmd->callback([args, &exit_code] { exit_code = RunExport(*args); });
}

}  // namespace hashwatch::cli
