// hashwatch hash: print the signals of image files.
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "commands.h"
#include "common_options.h"
#include "hashwatch/image_hasher.h"
#include "hashwatch/ordered_parallel.h"
#include "hashwatch/signal_type.h"
#include "input_paths.h"
#include "progress.h"
#include "record_writer.h"

namespace hashwatch::cli {
namespace {

struct HashArgs {
  std::string signals = "pdq";
  OutputFormat format = OutputFormat::kJsonl;
  int jobs = DefaultJobs();
  DecodeLimits limits;
  std::vector<std::string> paths;
};

Record SignalsRecord(const std::string& path, const absl::StatusOr<ImageSignals>& result) {
  Record r;
  r["path"] = path;
  if (!result.ok()) {
    r["error"] = std::string(result.status().message());
    return r;
  }
  r["width"] = result->width;
  r["height"] = result->height;
  for (const Signal& s : result->signals) {
    const SignalType* type = FindSignalType(s.type);
    r[s.type] = type->Format(s.hash);
    if (s.quality >= 0) r[s.type + "_quality"] = s.quality;
  }
  return r;
}

int RunHash(const HashArgs& args) {
  HashOptions options;
  options.signals = absl::StrSplit(args.signals, ',', absl::SkipWhitespace());
  options.limits = args.limits;
  absl::StatusOr<ImageHasher> hasher = ImageHasher::Create(options);
  if (!hasher.ok()) {
    std::fprintf(stderr, "hashwatch hash: %s\n", std::string(hasher.status().message()).c_str());
    return kExitUsage;
  }
  const std::vector<InputPath> inputs = ExpandInputPaths(args.paths, std::cin);

  std::vector<std::string> columns = {"path", "width", "height"};
  for (const std::string& name : options.signals) {
    columns.push_back(name);
    if (FindSignalType(name)->has_quality()) columns.push_back(name + "_quality");
  }
  columns.push_back("error");
  RecordWriter writer(args.format, columns);
  Progress progress("hash", inputs.size());
  size_t failed = 0;
  OrderedParallelMap<absl::StatusOr<ImageSignals>>(
      inputs.size(), args.jobs,
      [&](size_t i) -> absl::StatusOr<ImageSignals> {
        if (!inputs[i].error.empty()) return absl::NotFoundError(inputs[i].error);
        return hasher->HashFile(inputs[i].path);
      },
      [&](size_t i, absl::StatusOr<ImageSignals>&& result) {
        if (!result.ok()) ++failed;
        writer.Write(SignalsRecord(inputs[i].path, result));
        progress.Update(i + 1, failed);
      });
  return failed == 0 ? kExitOk : kExitSomeFailed;
}

}  // namespace

void RegisterHashCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd =
      app.add_subcommand("hash", "Print the perceptual hashes and digests of image files");
  cmd->footer(
      "Files are recognised by content, not name: JPEG, PNG, WebP, BMP, TIFF and GIF\n"
      "(first frame). EXIF orientation is applied; alpha is composited over black.\n"
      "One record per input, in input order: {\"path\", \"width\", \"height\", \"pdq\",\n"
      "\"pdq_quality\", ...}, or {\"path\", \"error\"} for a file that could not be hashed;\n"
      "the others go on. PDQ quality below 50 means too little structure to match on.\n"
      "Exit status: 0 all inputs hashed, 1 some failed, 2 usage or fatal error.\n"
      "Details: docs/hashing.md");
  cmd->add_option("--signals", args->signals,
                  "Comma-separated signal types: pdq (256-bit PDQ + quality), phash (64-bit DCT "
                  "pHash), sha256, md5")
      ->capture_default_str();
  AddFormatOption(cmd, args->format, /*allow_table=*/false);
  AddJobsOption(cmd, args->jobs);
  AddLimitOptions(cmd, args->limits);
  AddPathsOption(cmd, args->paths);
  cmd->callback([args, &exit_code] { exit_code = RunHash(*args); });
}

}  // namespace hashwatch::cli
