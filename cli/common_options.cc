#include "common_options.h"

#include <algorithm>
#include <cmath>
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

CLI::Validator FiniteRange(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != text.size() || !std::isfinite(v) || v < lo || v > hi) {
          return "must be a number from " + CLI::detail::to_string(lo) + " to " +
                 CLI::detail::to_string(hi) + ", got '" + text + "'";
        }
        return std::string();
      },
      "NUMBER in [" + CLI::detail::to_string(lo) + " - " + CLI::detail::to_string(hi) + "]",
      "FiniteRange");
}

void AddLimitOptions(CLI::App* cmd, DecodeLimits& limits) {
  // Each bounded by the engine's limits (hashwatch/decode_limits.h): the
  // range is checked before any conversion, so no value overflows.
  auto* mp = cmd->add_option_function<double>(
      "--max-megapixels",
      [&limits](double v) { limits.max_pixels = std::max<int64_t>(1, std::llround(v * 1e6)); },
      "Refuse images (and videos whose frames are) larger than this, from the header, before "
      "decoding");
  mp->check(FiniteRange(1e-6, static_cast<double>(kMaxPixelsLimit) / 1e6))
      ->default_str(std::to_string(limits.max_pixels / 1'000'000));
  cmd->add_option("--max-bytes", limits.max_bytes,
                  "Refuse images larger than this many bytes (at most 2147483647: an image is "
                  "decoded from memory)")
      ->check(CLI::Range(int64_t{1}, kMaxImageBytesLimit))
      ->capture_default_str();
  cmd->add_option("--max-video-bytes", limits.max_video_bytes,
                  "Refuse videos larger than this many bytes (read in pieces, never whole)")
      ->check(CLI::Range(int64_t{1}, kMaxVideoBytesLimit))
      ->capture_default_str();
  cmd->add_option("--max-video-seconds", limits.max_video_seconds,
                  "Refuse videos longer than this, from the container and while decoding")
      ->check(FiniteRange(1e-3, kMaxVideoSecondsLimit))
      ->capture_default_str();
  cmd->add_option("--max-decode-seconds", limits.max_decode_seconds,
                  "Give up on a video after decoding it for this long (wall clock)")
      ->check(FiniteRange(1e-3, kMaxDecodeSecondsLimit))
      ->capture_default_str();
}

}  // namespace hashwatch::cli
