// Options shared by several subcommands, declared once so that their names,
// defaults and help read the same everywhere.
#ifndef HASHWATCH_CLI_COMMON_OPTIONS_H_
#define HASHWATCH_CLI_COMMON_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "hashwatch/decode_limits.h"
#include "record_writer.h"

namespace hashwatch::cli {

// Threads to use by default: the machine's cores.
int DefaultJobs();

// --format jsonl|csv[|table]
void AddFormatOption(CLI::App* cmd, OutputFormat& format, bool allow_table);
// --jobs N
void AddJobsOption(CLI::App* cmd, int& jobs);
// PATH... (required): files or folders, '-' for paths on stdin (input_paths.h)
void AddPathsOption(CLI::App* cmd, std::vector<std::string>& paths);
// A number from lo to hi; unlike CLI::Range, NaN and infinities are refused
// (NaN passes every comparison, and would reach a conversion to an integer).
CLI::Validator FiniteRange(double lo, double hi);
// --max-megapixels, --max-bytes
void AddLimitOptions(CLI::App* cmd, DecodeLimits& limits);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_COMMON_OPTIONS_H_
