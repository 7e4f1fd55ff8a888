// The record `scan` (and `worker`) writes for one file: its matches, each
// with case, item, signal, distance, variant, stage and, for videos, the
// aligned span; or the error; or the low-quality note.
#ifndef HASHWATCH_CLI_MATCH_RECORD_H_
#define HASHWATCH_CLI_MATCH_RECORD_H_

#include <string>

#include "absl/status/statusor.h"
#include "hashwatch/catalog.h"
#include "record_writer.h"

namespace hashwatch::cli {

// One match's fields.
Record MatchRecord(const Match& m);
// "low quality: not matched (PDQ quality N < M)".
std::string LowQualityNote(const MatchResult& result, const MatchOptions& options);
// The whole file as one JSON record (jsonl): {"path", "matches": [...]} or
// {"path", "error"}, with the video and low-quality fields.
Record FileRecord(const std::string& path, const absl::StatusOr<MatchResult>& result,
                  const MatchOptions& options);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_MATCH_RECORD_H_
