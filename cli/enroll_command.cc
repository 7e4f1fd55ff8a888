// hashwatch enroll: store the hashes of a case's images in the catalog.
#include <iostream>
#include <string>
#include <vector>

#include "catalog_options.h"
#include "commands.h"
#include "common_options.h"
#include "input_batch.h"
#include "record_writer.h"

namespace hashwatch::cli {
namespace {

struct EnrollArgs {
  std::string db;
  std::string case_id;
  std::string label;
  std::string operator_name;
  EmbeddingArgs embedding;
  OutputFormat format = OutputFormat::kJsonl;
  DecodeLimits limits;
  std::vector<std::string> paths;
};

Record EnrollRecord(const std::string& path, const std::string& case_id,
                    const absl::StatusOr<EnrollResult>& result) {
  Record r;
  r["path"] = path;
  if (!result.ok()) {
    r["error"] = std::string(result.status().message());
    return r;
  }
  r["case"] = case_id;
  r["item"] = result->item;
  r["media"] = result->media;
  if (result->media == "video") {
    r["duration"] = result->duration;
    r["frames"] = result->frames;
    r["indexed_frames"] = result->indexed_frames;
  } else {
    r["pdq"] = result->pdq_hex;
  }
  r["views"] = result->views;
  r["quality"] = result->quality;
  r["indexed"] = result->indexed;
  if (!result->warnings.empty()) r["warnings"] = result->warnings;
  if (result->already_enrolled) {
    r["note"] = "already enrolled in this case";
  } else if (!result->indexed) {
    r["note"] = "low quality: stored, but it will not match (PDQ quality " +
                std::to_string(result->quality) + " < 50)";
  }
  return r;
}

int RunEnroll(const EnrollArgs& args) {
  CatalogOptions options;
  options.limits = args.limits;
  if (!ApplyEmbeddingOptions("enroll", args.embedding, &options)) return kExitUsage;
  std::unique_ptr<Catalog> catalog =
      OpenCatalogOrReport("enroll", args.db, /*create=*/true, options);
  if (catalog == nullptr) return kExitUsage;

  RecordWriter writer(args.format, {"path", "case", "item", "media", "pdq", "frames", "views",
                                    "quality", "indexed", "note", "error"});
  size_t failed = 0;
  // One file at a time: each enrolment is its own durable transaction, and
  // items are numbered in the order the files were given.
  const int stopped = RunInputBatch<absl::StatusOr<EnrollResult>>(
      "enroll", args.paths, /*jobs=*/1,
      [&](const InputPath& input) -> absl::StatusOr<EnrollResult> {
        if (!input.error.empty()) return absl::NotFoundError(input.error);
        return catalog->EnrollFile({.case_id = args.case_id,
                                    .label = args.label,
                                    .source_note = "",
                                    .operator_name = args.operator_name},
                                   input.path);
      },
      [&](const InputPath& input, absl::StatusOr<EnrollResult>&& result) {
        if (!result.ok()) ++failed;
        writer.Write(EnrollRecord(input.path, args.case_id, result));
        return result.ok();
      });
  if (stopped != 0) return StoppedExitCode(stopped);
  return failed == 0 ? kExitOk : kExitSomeFailed;
}

}  // namespace

void RegisterEnrollCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<EnrollArgs>();
  CLI::App* cmd = app.add_subcommand(
      "enroll",
      "Store the hashes of a case's images and videos in the catalog (never their pixels)");
  cmd->footer(
      "Each file is hashed (PDQ of its original orientation, plus its SHA-256) and\n"
      "stored as one item of the case, in its own transaction: what is reported as\n"
      "enrolled is on disk. The case is created on first use. A file enrolled twice\n"
      "into the same case is recognised and not stored again. Hashes with PDQ quality\n"
      "below 50 (flat or tiny images) are stored but will not match; they are flagged.\n"
      "Videos (any container and codec FFmpeg decodes, recognised by content) are\n"
      "hashed frame by frame after border removal; runs of near-identical frames are\n"
      "stored once with their time span, plus the file's SHA-256 and MD5.\n"
      "So that cropped or padded copies still match, each photo also stores the\n"
      "hashes of its centre and corners (90% and 80% of each side) and of the picture\n"
      "inside its borders, and a video the same regions of a frame every 0.5 s\n"
      "(\"views\" in the record; docs/robustness.md, docs/video.md).\n"
      "One record per file (jsonl: path, case, item, media, pdq or duration/frames,\n"
      "views, quality, indexed).\n"
      "Exit status: 0 all files enrolled, 1 some failed, 2 usage or catalog error.\n"
      "Example: hashwatch enroll --db cases.db --case 2024-0113 --label 'intake 13 May' photos/\n"
      "Details: docs/catalog.md");
  AddDbOption(cmd, args->db);
  AddCaseOption(cmd, args->case_id, "The case reference the files belong to", /*required=*/true);
  cmd->add_option("--label", args->label, "A label for the case (set or updated)")
      ->type_name("TEXT");
  AddOperatorOption(cmd, args->operator_name);
  AddEmbeddingOptions(cmd, args->embedding);
  AddFormatOption(cmd, args->format, /*allow_table=*/true);
  AddLimitOptions(cmd, args->limits);
  AddPathsOption(cmd, args->paths);
  cmd->callback([args, &exit_code] { exit_code = RunEnroll(*args); });
}

}  // namespace hashwatch::cli
