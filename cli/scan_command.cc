// hashwatch scan: check files against the catalog and print what they match.
#include <atomic>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "catalog_options.h"
#include "commands.h"
#include "common_options.h"
#include "drop_folder.h"
#include "input_batch.h"
#include "match_options.h"
#include "match_record.h"
#include "record_writer.h"

namespace hashwatch::cli {
namespace {

struct ScanArgs {
  std::string db;
  MatchArgs m;
  std::string operator_name;
  OutputFormat format = OutputFormat::kJsonl;
  std::string follow;   // a drop folder (--follow)
  std::string journal;  // its journal (--journal)
  std::vector<std::string> paths;
};

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

int RunScan(const ScanArgs& args) {
  CatalogOptions options;
  MatchOptions match;
  if (!ApplyMatchArgs("scan", args.m, &options, &match)) return kExitUsage;
  std::unique_ptr<Catalog> catalog =
      OpenCatalogOrReport("scan", args.db, /*create=*/false, options);
  if (catalog == nullptr) return kExitUsage;

  // --follow: a drop folder's new files, each once across restarts.
  std::atomic<bool> journal_failed{false};
  std::unique_ptr<DropFolder> follow;
  if (!args.follow.empty()) {
    InstallStopHandlers();
    absl::StatusOr<std::unique_ptr<DropFolder>> folder = DropFolder::Open(
        args.follow, args.journal, [&] { return StopSignal() != 0 || journal_failed.load(); });
    if (!folder.ok()) {
      ReportError("scan", folder.status());
      return kExitUsage;
    }
    follow = *std::move(folder);
    std::fprintf(stderr, "hashwatch scan: following %s (%lld of its files were scanned before)\n",
                 args.follow.c_str(), static_cast<long long>(follow->already_done()));
  }
  ScanSummary summary;
  summary.options = match;
  int stopped = 0;
  {
    RecordWriter writer(args.format, {"path", "case", "item", "signal", "distance", "variant",
                                      "stage", "inliers", "score", "query_start", "query_end",
                                      "ref_start", "ref_end", "frames", "note", "error"});
    auto work = [&](const InputPath& input) -> absl::StatusOr<MatchResult> {
      if (!input.error.empty()) return absl::NotFoundError(input.error);
      // The catalog catches up with other processes' changes before it
      // searches (CatalogOptions::max_staleness_seconds = --freshness).
      return catalog->MatchFile(input.path, match);
    };
    auto emit = [&](const InputPath& input, absl::StatusOr<MatchResult>&& result) {
      ++summary.files;
      if (!result.ok()) {
        ++summary.failed_files;
      } else if (result->low_quality) {
        ++summary.low_quality_files;
      } else if (!result->matches.empty()) {
        ++summary.matched_files;
      }
      const Record record = FileRecord(input.path, result, match);
      if (follow != nullptr && !journal_failed.load()) {
        // Journalled before it is printed: a printed record is never
        // scanned again after a restart.
        if (absl::Status s = follow->Journal(input.path, record); !s.ok()) {
          ReportError("scan", s);
          journal_failed.store(true);  // no more files: they could not be journalled
        }
      }
      if (args.format == OutputFormat::kJsonl) {
        writer.Write(record);
      } else {
        WriteRows(writer, input.path, result, match);
      }
      return result.ok();
    };
    if (follow != nullptr) {
      stopped = RunInputBatch<absl::StatusOr<MatchResult>>(
          "scan", [&] { return follow->Next(); }, 0, args.m.jobs, work, emit);
    } else {
      stopped =
          RunInputBatch<absl::StatusOr<MatchResult>>("scan", args.paths, args.m.jobs, work, emit);
    }
  }
  if (absl::Status s = catalog->RecordScan(summary, args.operator_name); !s.ok()) {
    ReportError("scan", absl::Status(s.code(),
                                     "the scan ran but its audit record could not be "
                                     "written: " +
                                         std::string(s.message())));
    return kExitSomeFailed;
  }
  if (journal_failed.load()) return kExitSomeFailed;
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
      "--follow DIR scans the files that appear in DIR (closed after writing, or moved\n"
      "in) until stopped, each once across restarts: records also go to --journal.\n"
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
  AddMatchArgs(cmd, args->m);
  AddOperatorOption(cmd, args->operator_name);
  AddFormatOption(cmd, args->format, /*allow_table=*/true);
  CLI::Option* follow =
      cmd->add_option("--follow", args->follow,
                      "Scan the files that appear in this folder (written and closed, or moved "
                      "in; files already there first), until stopped; each once across restarts "
                      "(--journal)")
          ->type_name("DIR");
  CLI::Option* journal =
      cmd->add_option("--journal", args->journal,
                      "With --follow: every record is appended here (JSON lines, fsync'ed), and "
                      "files already in it are not scanned again")
          ->type_name("FILE");
  follow->needs(journal);
  journal->needs(follow);
  cmd->add_option("paths", args->paths,
                  "Image or video files, or folders (walked recursively); '-' reads one path "
                  "per line from stdin")
      ->excludes(follow);
  cmd->callback([args, &exit_code] {
    if (args->follow.empty() && args->paths.empty()) {
      std::fprintf(stderr, "hashwatch scan: give files, folders, '-', or --follow DIR\n");
      exit_code = kExitUsage;
      return;
    }
    exit_code = RunScan(*args);
  });
}

}  // namespace hashwatch::cli
