// hashwatch-bench: speed, scale and robustness measurements.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "bench_commands.h"

namespace {

constexpr const char* kUsage =
    "usage: hashwatch-bench COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  hash DIR [--jobs N]   decode + PDQ speed on the images under DIR, beside\n"
    "                        full-size cv::imread of the same files (baseline)\n"
    "  search --n N --queries Q [--radius 31] [--threads T]\n"
    "                        PDQ index build time, memory and queries/s on N\n"
    "                        synthetic hashes, with recall against brute force\n"
    "  catalog --n N [--db FILE]\n"
    "                        catalog open time (SQLite read + index build) at N\n"
    "                        hashes\n"
    "  video DIR [--interval 1] [--repeat 3] [--json FILE] [--edits DIR --refs DIR]\n"
    "        [--photos DIR] [--index-frames N]\n"
    "                        VideoHasher speed against a vPDQ-style baseline;\n"
    "                        localisation of edited copies; match time at N frames\n"
    "  robustness --corpus DIR [--distractors DIR] [--out DIR] [--limit N]\n"
    "        [--max-side 1024] [--methods LIST] [--json FILE]\n"
    "                        recall per edit (crop, pad, rotate, JPEG, screenshot...)\n"
    "                        at 99.99% precision: PDQ, pHash, hashwatch step by step\n"
    "  float-index [--vectors 1000000] [--dimension 256] [--queries 10000] [--k 10]\n"
    "        [--threads 2] [--kinds ivf-flat,ivf-sq8,ivf-fp16,hnsw]\n"
    "                        embedding index build time, memory, batched queries/s\n"
    "                        and recall@10 against exact search, per index kind\n"
    "  load [--threads 2] [--seconds 60] [--items 1000000] [--db FILE] [--json FILE]\n"
    "                        scans against a catalog while cases are enrolled and\n"
    "                        withdrawn: throughput, latency, lost enrolments and\n"
    "                        matches of withdrawn cases\n"
    "  cluster [--db OWNER_URI] [--items 1000000] [--workers 1,2,4] [--trials 50]\n"
    "        [--probes 3] [--catch-up 100000] [--json FILE]\n"
    "                        the shared catalog on PostgreSQL: worker throughput,\n"
    "                        withdrawal propagation p50/p99, catch-up after being\n"
    "                        offline beside a full reload\n"
    "  stream [--paths 50] [--jobs 2]\n"
    "                        how soon 'scan -' answers a path written to its stdin,\n"
    "                        beside a scan process per file\n"
    "\n"
    "Run 'hashwatch-bench COMMAND --help' for a command's options.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string_view cmd = argv[1];
  if (cmd == "hash") return hashwatch::bench::RunHashBench(argc - 1, argv + 1);
  if (cmd == "search") return hashwatch::bench::RunSearchBench(argc - 1, argv + 1);
  if (cmd == "catalog") return hashwatch::bench::RunCatalogBench(argc - 1, argv + 1);
  if (cmd == "video") return hashwatch::bench::RunVideoBench(argc - 1, argv + 1);
  if (cmd == "robustness") return hashwatch::bench::RunRobustnessBench(argc - 1, argv + 1);
  if (cmd == "float-index") return hashwatch::bench::RunFloatIndexBench(argc - 1, argv + 1);
  if (cmd == "load") return hashwatch::bench::RunLoadBench(argc - 1, argv + 1);
  if (cmd == "cluster") return hashwatch::bench::RunClusterBench(argc - 1, argv + 1);
  if (cmd == "stream") return hashwatch::bench::RunStreamBench(argc - 1, argv + 1);
  std::fprintf(stderr, "hashwatch-bench: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}
