// Subcommands of hashwatch-bench. Each parses its own arguments (argv[0] is
// the subcommand name) and returns the process exit status.
#ifndef HASHWATCH_BENCH_BENCH_COMMANDS_H_
#define HASHWATCH_BENCH_BENCH_COMMANDS_H_

namespace hashwatch::bench {

int RunHashBench(int argc, char** argv);        // hash_bench.cc
int RunSearchBench(int argc, char** argv);      // search_bench.cc
int RunCatalogBench(int argc, char** argv);     // catalog_bench.cc
int RunVideoBench(int argc, char** argv);       // video_bench.cc
int RunRobustnessBench(int argc, char** argv);  // robustness_bench.cc
int RunFloatIndexBench(int argc, char** argv);  // float_index_bench.cc
int RunLoadBench(int argc, char** argv);        // load_bench.cc
int RunClusterBench(int argc, char** argv);     // cluster_bench.cc
int RunStreamBench(int argc, char** argv);      // stream_bench.cc

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_BENCH_COMMANDS_H_
