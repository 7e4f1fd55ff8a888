#include "common_options.h"

#include <map>
#include <string>
#include <thread>

namespace hashwatch::cli {

int DefaultJobs() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void AddFormatOption(CLI::App* cmd, OutputFormat& format, bool allow_table) {
  std::map<std::string, OutputFormat> names = {{"jsonl", OutputFormat::kJsonl},
                                               {"csv", OutputFormat::kCsv}};
  if (allow_table) names["table"] = OutputFormat::kTable;
  cmd->add_option("--format", format,
                  allow_table ? "Output: jsonl (one JSON object per line), csv or table"
                              : "Output: jsonl (one JSON object per line) or csv")
      ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
      ->default_str("jsonl");
}

void AddJobsOption(CLI::App* cmd, int& jobs) {
  cmd->add_option("-j,--jobs", jobs, "Files processed in parallel (default: the number of cores)")
      ->check(CLI::Range(1, 256));
}

void AddPathsOption(CLI::App* cmd, std::vector<std::string>& paths) {
  cmd->add_option("paths", paths,
                  "Image or video files, or folders (walked recursively); '-' reads one path "
                  "per line from stdin")
      ->required();
}

void AddLimitOptions(CLI::App* cmd, DecodeLimits& limits) {
  auto* mp = cmd->add_option_function<double>(
      "--max-megapixels",
      [&limits](double v) { limits.max_pixels = static_cast<int64_t>(v * 1e6); },
      "Refuse images (and videos whose frames are) larger than this, from the header, before "
      "decoding");
  mp->check(CLI::PositiveNumber)->default_str(std::to_string(limits.max_pixels / 1'000'000));
  cmd->add_option("--max-bytes", limits.max_bytes, "Refuse images larger than this many bytes")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-video-bytes", limits.max_video_bytes,
                  "Refuse videos larger than this many bytes (read in pieces, never whole)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-video-seconds", limits.max_video_seconds,
                  "Refuse videos longer than this, from the container and while decoding")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-decode-seconds", limits.max_decode_seconds,
                  "Give up on a video after decoding it for this long (wall clock)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

}  // namespace hashwatch::cli
