// hashwatch scan: check files against the catalog and print what they match.
#include <cmath>
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

struct ScanArgs {
  std::string db;
  MatchOptions match;
  bool no_dihedral = false;
  bool no_views = false;
  bool no_verify = false;
  EmbeddingArgs embedding;
  std::string operator_name;
  OutputFormat format = OutputFormat::kJsonl;
  int jobs = DefaultJobs();
  DecodeLimits limits;
  bool isolate = false;
  double worker_memory_mb = IsolationOptions().memory_limit_bytes / double{1 << 20};
  double file_seconds = 0;
  double freshness = CatalogOptions().max_staleness_seconds;
  std::vector<std::string> paths;
};

Record MatchRecord(const Match& m) {
  Record r;
  r["case"] = m.case_id;
  r["item"] = m.item;
  r["signal"] = m.signal;
  r["distance"] = m.distance;
  r["variant"] = std::string(DihedralName(m.variant));
  r["stage"] = m.stage;
  if (m.stage == "verified") r["inliers"] = m.inliers;
  if (m.signal == "embedding") r["score"] = std::round(m.score * 1000) / 1000;
  if (m.span.has_value()) {
    const MatchSpan& s = *m.span;
    // Seconds, to the millisecond.
    auto sec = [](double t) { return std::round(t * 1000) / 1000; };
    if (s.query_is_video) {
      r["query_start"] = sec(s.query_start);
      r["query_end"] = sec(s.query_end);
    }
    if (s.ref_is_video) {
      r["ref_start"] = sec(s.ref_start);
      r["ref_end"] = sec(s.ref_end);
    }
    r["frames"] = s.matched_frames;
    r["query_share"] = sec(s.query_share);
    if (s.ref_is_video) r["ref_share"] = sec(s.ref_share);
  }
  return r;
}

// What a video query adds to its file's record.
void AddVideoFields(Record& r, const MatchResult& result) {
  if (!result.video) return;
  r["media"] = "video";
  r["duration"] = std::round(result.duration * 1000) / 1000;
  r["samples"] = result.samples;
  if (!result.warnings.empty()) r["warnings"] = result.warnings;
}

std::string LowQualityNote(const MatchResult& result, const MatchOptions& options) {
  return "low quality: not matched (PDQ quality " + std::to_string(result.quality) + " < " +
         std::to_string(options.min_quality) + ")";
}

// JSON lines: one record per file, its matches in an array.
void WriteJsonl(RecordWriter& writer, const std::string& path,
                const absl::StatusOr<MatchResult>& result, const MatchOptions& options) {
  Record r;
  r["path"] = path;
  if (!result.ok()) {
    r["error"] = std::string(result.status().message());
  } else {
    if (result->low_quality) {
      r["quality"] = result->quality;
      r["low_quality"] = true;
      r["note"] = LowQualityNote(*result, options);
    }
    AddVideoFields(r, *result);
    r["matches"] = Record::array();
    for (const Match& m : result->matches) r["matches"].push_back(MatchRecord(m));
  }
  writer.Write(r);
}

// CSV and table: one row per match, or one row for a file without any.
void WriteRows(RecordWriter& writer, const std::string& path,
               const absl::StatusOr<MatchResult>& result, const MatchOptions& options) {
  Record r;
  r["path"] = path;
  if (!result.ok()) {
    r["error"] = std::string(result.status().message());
  } else if (result->low_quality) {
    r["note"] = LowQualityNote(*result, options);
  } else if (!result->warnings.empty()) {
    r["note"] = result->warnings.front();
  }
  if (!result.ok() || result->matches.empty()) {
    writer.Write(r);
    return;
  }
  for (const Match& m : result->matches) {
    Record row = r;
    row.update(MatchRecord(m));
    writer.Write(row);
  }
}

int RunScan(ScanArgs args) {
  args.match.dihedral = !args.no_dihedral;
  args.match.query_views = args.match.stored_views = !args.no_views;
  args.match.verify = !args.no_verify;
  CatalogOptions options;
  options.limits = args.limits;
  options.max_staleness_seconds = args.freshness;
  if (args.isolate) {
    options.isolation = IsolationOptions{
        .workers = args.jobs,
        .memory_limit_bytes = static_cast<int64_t>(args.worker_memory_mb * (1 << 20)),
        .time_limit_seconds = args.file_seconds,
        .worker_path = "",
        .verification_pixels = true};
  }
  if (!ApplyEmbeddingOptions("scan", args.embedding, &options)) return kExitUsage;
  std::unique_ptr<Catalog> catalog =
      OpenCatalogOrReport("scan", args.db, /*create=*/false, options);
  if (catalog == nullptr) return kExitUsage;

  ScanSummary summary;
  summary.options = args.match;
  int stopped = 0;
  {
    RecordWriter writer(args.format, {"path", "case", "item", "signal", "distance", "variant",
                                      "stage", "inliers", "score", "query_start", "query_end",
                                      "ref_start", "ref_end", "frames", "note", "error"});
    stopped = RunInputBatch<absl::StatusOr<MatchResult>>(
        "scan", args.paths, args.jobs,
        [&](const InputPath& input) -> absl::StatusOr<MatchResult> {
          if (!input.error.empty()) return absl::NotFoundError(input.error);
          // The catalog catches up with other processes' changes before it
          // searches (CatalogOptions::max_staleness_seconds = --freshness).
          return catalog->MatchFile(input.path, args.match);
        },
        [&](const InputPath& input, absl::StatusOr<MatchResult>&& result) {
          ++summary.files;
          if (!result.ok()) {
            ++summary.failed_files;
          } else if (result->low_quality) {
            ++summary.low_quality_files;
          } else if (!result->matches.empty()) {
            ++summary.matched_files;
          }
          if (args.format == OutputFormat::kJsonl) {
            WriteJsonl(writer, input.path, result, args.match);
          } else {
            WriteRows(writer, input.path, result, args.match);
          }
          return result.ok();
        });
  }
  if (absl::Status s = catalog->RecordScan(summary, args.operator_name); !s.ok()) {
    ReportError("scan", absl::Status(s.code(),
                                     "the scan ran but its audit record could not be "
                                     "written: " +
                                         std::string(s.message())));
    return kExitSomeFailed;
  }
  if (stopped != 0) return StoppedExitCode(stopped);
  return summary.failed_files == 0 ? kExitOk : kExitSomeFailed;
}

}  // namespace

void RegisterScanCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<ScanArgs>();
  CLI::App* cmd =
      app.add_subcommand("scan", "Check images and videos against the catalog's known content");
  cmd->footer(
      "Each file's PDQ hash, and by default its 7 rotated and mirrored variants, is\n"
      "searched exactly; every known item within the threshold is reported with its\n"
      "case, item, distance and the variant that matched (original, flip_y for a\n"
      "left-right mirror, rotate90, ...). Withdrawn cases never match; a withdrawal or\n"
      "enrolment made by another process during a scan is seen within --freshness\n"
      "seconds (no file is matched against an older state of the catalog). Files\n"
      "with PDQ quality below --min-quality are reported as low quality, not matched.\n"
      "Photos are also looked at in steps that catch crops, padding and screenshots\n"
      "(docs/robustness.md); \"stage\" says which step found a match: pdq (the whole\n"
      "file), border (the picture inside borders), canvas (a picture inside a\n"
      "screenshot), rotated (the file turned back a few degrees), region (a crop of\n"
      "the known image), verified (a looser candidate\n"
      "confirmed by local features; \"inliers\" keypoints agreed). --no-views and\n"
      "--no-verify switch steps off. With --embedding (catalogs enrolled with it), the\n"
      "known images nearest the file's embedding are verified too: such a match has\n"
      "signal \"embedding\", stage verified and the cosine \"score\".\n"
      "Videos are sampled once a second; each frame is searched, then the hits are\n"
      "aligned in time: a match is a span with query_start/query_end (in the crawled\n"
      "video) and ref_start/ref_end (in the known video), the matched frames and the\n"
      "shares of each side (vPDQ's percentages); it needs --min-frames matched moments\n"
      "in one consistent span, so one stray frame never matches. A photo matches a\n"
      "video it is a frame of (ref_start/ref_end), and a video matches a photo it\n"
      "shows (query_start/query_end). A compilation gives one match per span.\n"
      "jsonl: one line per file, {\"path\":...,\"matches\":[{\"case\":...,\"item\":...,\n"
      "\"signal\":\"pdq\",\"distance\":N,\"variant\":...}]} (\"matches\":[] for none, \"error\" "
      "for\n"
      "a file that could not be read); csv/table: one row per match.\n"
      "With --isolate each file is read, decoded and hashed in a worker process\n"
      "(hashwatch-worker, one per job): a file that crashes, hangs or exhausts a\n"
      "decoder gets an error saying so (signal, time limit, memory limit) and the scan\n"
      "goes on, in order. It costs some throughput (docs/benchmarks.md): use it on\n"
      "crawled content from unknown sources.\n"
      "PATH - reads one path per line from standard input as the lines arrive: each\n"
      "file's record is written (and flushed) as soon as it and the ones before it are\n"
      "done, so a crawler can pipe paths in and read results as it goes, for as long\n"
      "as it likes (memory stays bounded).\n"
      "SIGTERM or Ctrl-C: no new file is taken; the files in flight are finished and\n"
      "reported, the run is recorded, and the exit status is 128 + the signal (143).\n"
      "The run (not each file) is recorded in the audit log.\n"
      "Exit status: 0 all files scanned (matched or not), 1 some could not be read,\n"
      "2 usage error or no usable catalog, 130/143 stopped by SIGINT/SIGTERM.\n"
      "Example: hashwatch scan --db cases.db --format table crawled/\n"
      "Details: docs/catalog.md");
  AddDbOption(cmd, args->db);
  cmd->add_option("--threshold", args->match.threshold,
                  "Largest Hamming distance (of 256 bits) that counts as a match; 31 is PDQ's "
                  "usual threshold")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_flag("--no-dihedral", args->no_dihedral,
                "Search the original orientation only (not rotations and mirrors)");
  cmd->add_flag("--no-views", args->no_views,
                "Photos: search the whole file only, not the picture inside its borders or a "
                "screenshot, nor the known images' stored crops");
  cmd->add_flag("--no-verify", args->no_verify,
                "Photos: do not confirm looser candidates with local features");
  cmd->add_option("--verify-threshold", args->match.verify_threshold,
                  "Photos: candidates up to this distance are verified with local features")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--min-inliers", args->match.min_inliers,
                  "Photos: keypoints that must agree with one transform to verify a candidate")
      ->check(CLI::Range(3, 10000))
      ->capture_default_str();
  AddEmbeddingOptions(cmd, args->embedding);
  cmd->add_option("--embedding-candidates", args->match.embedding_candidates,
                  "Photos, with --embedding: the known images nearest the embedding that are "
                  "verified")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--min-quality", args->match.min_quality,
                  "Files whose PDQ quality is below this are reported, not matched")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_option("--min-frames", args->match.min_frames,
                  "Videos: matched sampled moments a span needs (fewer only for shorter "
                  "videos)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  AddOperatorOption(cmd, args->operator_name);
  AddFormatOption(cmd, args->format, /*allow_table=*/true);
  AddJobsOption(cmd, args->jobs);
  AddLimitOptions(cmd, args->limits);
  cmd->add_flag("--isolate", args->isolate,
                "Read, decode and hash each file in a worker process, so that a decoder crash, "
                "hang or memory exhaustion costs that file only");
  cmd->add_option("--worker-memory", args->worker_memory_mb,
                  "With --isolate: each worker's address-space limit, in MiB")
      ->check(FiniteRange(64.0, 1024.0 * 1024))
      ->capture_default_str();
  cmd->add_option("--file-seconds", args->file_seconds,
                  "With --isolate: wall-clock seconds one file may take before its worker is "
                  "killed (default: --max-decode-seconds + 60)")
      ->check(FiniteRange(0.1, 7 * 24 * 3600.0));
  cmd->add_option("--freshness", args->freshness,
                  "Seconds: no file is matched against a state of the catalog older than this "
                  "(other processes' withdrawals and enrolments are caught up with first; 0: "
                  "before every file)")
      ->check(FiniteRange(0.0, 24 * 3600.0))
      ->capture_default_str();
  AddPathsOption(cmd, args->paths);
  cmd->callback([args, &exit_code] { exit_code = RunScan(*args); });
}

}  // namespace hashwatch::cli
