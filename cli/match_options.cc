#include "match_options.h"

namespace hashwatch::cli {

void AddMatchArgs(CLI::App* cmd, MatchArgs& a) {
  cmd->add_option("--threshold", a.match.threshold,
                  "Largest Hamming distance (of 256 bits) that counts as a match; 31 is PDQ's "
                  "usual threshold")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_flag("--no-dihedral", a.no_dihedral,
                "Search the original orientation only (not rotations and mirrors)");
  cmd->add_flag("--no-views", a.no_views,
                "Search the whole file only: not a photo's picture inside its borders or a "
                "screenshot, nor the known images' and videos' stored crops");
  cmd->add_flag("--no-verify", a.no_verify,
                "Photos: do not confirm looser candidates with local features");
  cmd->add_option("--verify-threshold", a.match.verify_threshold,
                  "Photos: candidates up to this distance are verified with local features")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->add_option("--min-inliers", a.match.min_inliers,
                  "Photos: keypoints that must agree with one transform to verify a candidate")
      ->check(CLI::Range(3, 10000))
      ->capture_default_str();
  AddEmbeddingOptions(cmd, a.embedding);
  cmd->add_option("--embedding-candidates", a.match.embedding_candidates,
                  "Photos, with --embedding: the known images nearest the embedding that are "
                  "verified")
      ->check(CLI::Range(0, 64))
      ->capture_default_str();
  cmd->add_option("--min-quality", a.match.min_quality,
                  "Files whose PDQ quality is below this are reported, not matched")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  cmd->add_option("--min-frames", a.match.min_frames,
                  "Videos: matched sampled moments a span needs (fewer only for shorter "
                  "videos)")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  AddJobsOption(cmd, a.jobs);
  AddLimitOptions(cmd, a.limits);
  cmd->add_flag("--isolate", a.isolate,
                "Read, decode and hash each file in a worker process, so that a decoder crash, "
                "hang or memory exhaustion costs that file only");
  cmd->add_option("--worker-memory", a.worker_memory_mb,
                  "With --isolate: each worker's address-space limit, in MiB")
      ->check(FiniteRange(64.0, 1024.0 * 1024))
      ->capture_default_str();
  cmd->add_option("--file-seconds", a.file_seconds,
                  "With --isolate: wall-clock seconds one file may take before its worker is "
                  "killed (default: --max-decode-seconds + 60)")
      ->check(FiniteRange(0.1, 7 * 24 * 3600.0));
  cmd->add_option("--freshness", a.freshness,
                  "Seconds: no file is matched against a state of the catalog older than this "
                  "(other processes' withdrawals and enrolments are caught up with first; 0: "
                  "before every file)")
      ->check(FiniteRange(0.0, 24 * 3600.0))
      ->capture_default_str();
}

bool ApplyMatchArgs(const std::string& command, const MatchArgs& a, CatalogOptions* options,
                    MatchOptions* match) {
  *match = a.match;
  match->dihedral = !a.no_dihedral;
  match->query_views = match->stored_views = !a.no_views;
  match->verify = !a.no_verify;
  options->limits = a.limits;
  options->max_staleness_seconds = a.freshness;
  if (a.isolate) {
    options->isolation =
        IsolationOptions{.workers = a.jobs,
                         .memory_limit_bytes = static_cast<int64_t>(a.worker_memory_mb * (1 << 20)),
                         .time_limit_seconds = a.file_seconds,
                         .worker_path = "",
                         .verification_pixels = true};
  }
  return ApplyEmbeddingOptions(command, a.embedding, options);
}

}  // namespace hashwatch::cli
