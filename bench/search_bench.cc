// hashwatch-bench search: PdqIndex build time, memory and radius-search
// queries/s on synthetic PDQ-like hashes, with recall and speed against the
// exact brute-force scan in the same run. Results: docs/benchmarks.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench_commands.h"
#include "index/brute_force_search.h"
#include "index/index_hit.h"
#include "index/multi_index_table.h"
#include "index/pdq_index.h"
#include "measure.h"
#include "pdq_like_generator.h"

namespace hashwatch::bench {
namespace {

// Runs fn(i) for i in [0, count) on `threads` threads, one call at a time
// per thread (as the monitoring pipeline issues queries). Returns seconds.
double RunParallel(int threads, size_t count, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i; (i = next.fetch_add(1)) < count;) fn(i);
    });
  }
  for (std::thread& th : pool) th.join();
  return Seconds(start, Clock::now());
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * v.size()))];
}

}  // namespace

int RunSearchBench(int argc, char** argv) {
  CLI::App app{
      "PDQ index search: build time, memory per hash, queries/s and recall "
      "against an exact brute-force scan, on synthetic PDQ-like hashes "
      "(skewed, correlated bits; clusters of near-duplicates). Queries are "
      "issued one per call from --threads threads; 75% have a planted "
      "neighbour at distance 0..radius, 25% are fresh hashes.",
      "hashwatch-bench search"};
  size_t n = 1000000, queries = 10000, brute_queries = 0;
  int radius = kPdqMatchRadius, threads = 2, substrings = 0;
  uint64_t seed = 1;
  bool flat = false, multi_index = false, stats = false;
  app.add_option("--n", n, "Hashes in the index")->check(CLI::PositiveNumber);
  app.add_option("--queries", queries, "Queries to time")->check(CLI::PositiveNumber);
  app.add_option("--radius", radius, "Inclusive Hamming radius (31 = PDQ)")
      ->check(CLI::Range(0, 256));
  app.add_option("--threads", threads, "Threads issuing queries")->check(CLI::Range(1, 256));
  app.add_option("--seed", seed, "Seed of the synthetic data");
  app.add_option("--brute-queries", brute_queries,
                 "Queries also run by brute force for recall and its "
                 "queries/s (default: 1e9/n, at least 100, at most --queries)");
  app.add_option("--substrings", substrings,
                 "Force multi-index hashing with this many substrings (8-32)")
      ->check(CLI::Range(8, 32));
  app.add_flag("--flat", flat, "Force a flat scan (no multi-index tables)");
  app.add_flag("--multi-index", multi_index, "Force multi-index hashing however small n is");
  app.add_flag("--candidate-stats", stats,
               "Also count multi-index candidates per query, beside the cost "
               "model's probes and candidates (builds a second copy of the tables)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (brute_queries == 0) {
    brute_queries = std::clamp<size_t>(1000000000 / n, 100, queries);
  }
  brute_queries = std::min(brute_queries, queries);

  // Data: hashes in clusters, ids unsorted (a hash of the position).
  const auto gen_start = Clock::now();
  const PdqLikeGenerator gen(seed);
  std::vector<uint8_t> codes(n * kPdqCodeBytes);
  std::vector<int64_t> ids(n);
  Rng rng{seed};
  for (size_t i = 0; i < n;) {
    uint8_t* base = &codes[i * kPdqCodeBytes];
    gen.Base(rng, base);
    const size_t size = std::min<size_t>(PdqLikeGenerator::ClusterSize(rng), n - i);
    for (size_t v = 1; v < size; ++v) {
      PdqLikeGenerator::Perturb(rng, base, 2 + rng.Below(29), &codes[(i + v) * kPdqCodeBytes]);
    }
    i += size;
  }
  for (size_t i = 0; i < n; ++i) {
    Rng mix{seed * 0x100000001B3ULL + i};
    ids[i] = static_cast<int64_t>(mix.Next() >> 1);
  }
  std::vector<uint8_t> qcodes(queries * kPdqCodeBytes);
  for (size_t q = 0; q < queries; ++q) {
    uint8_t* out = &qcodes[q * kPdqCodeBytes];
    if (rng.Below(4) != 0) {
      const size_t row = rng.Below(static_cast<uint32_t>(n));
      PdqLikeGenerator::Perturb(rng, &codes[row * kPdqCodeBytes],
                                rng.Below(std::min(radius, 255) + 1), out);
    } else {
      gen.Base(rng, out);
    }
  }
  const double gen_s = Seconds(gen_start, Clock::now());

  // Build.
  PdqIndexOptions options;
  options.substrings = substrings;
  if (flat) options.multi_index_min_size = SIZE_MAX;
  if (multi_index) options.multi_index_min_size = 1;
  PdqIndex index(options);
  const size_t rss_before = ResidentBytes();
  const auto build_start = Clock::now();
  // Compact: a small n would otherwise stay in the linear-scan delta.
  absl::Status status = index.Add(ids, codes);
  if (status.ok()) status = index.Compact();
  if (!status.ok()) {
    std::fprintf(stderr, "search: %s\n", status.ToString().c_str());
    return 1;
  }
  const double build_s = Seconds(build_start, Clock::now());
  const size_t rss_after = ResidentBytes();
  const size_t peak_after = PeakResidentBytes();

  // Index queries, one per call.
  std::vector<std::vector<IndexHit>> got(queries);
  std::vector<double> latency_us(queries);
  const double index_s = RunParallel(threads, queries, [&](size_t q) {
    const auto t0 = Clock::now();
    got[q] = index.RangeSearch(&qcodes[q * kPdqCodeBytes], radius);
    latency_us[q] = Seconds(t0, Clock::now()) * 1e6;
  });

  // Brute force over the first brute_queries queries: oracle and baseline.
  std::vector<std::vector<IndexHit>> truth(brute_queries);
  const double brute_s = RunParallel(threads, brute_queries, [&](size_t q) {
    truth[q] = BruteForceRangeSearch(ids, codes, &qcodes[q * kPdqCodeBytes], radius);
  });
  size_t true_hits = 0, found_hits = 0, extra_hits = 0, exact_sets = 0;
  for (size_t q = 0; q < brute_queries; ++q) {
    std::vector<IndexHit> a = truth[q], b = got[q];
    auto by_id = [](const IndexHit& x, const IndexHit& y) {
      return x.id < y.id || (x.id == y.id && x.distance < y.distance);
    };
    std::sort(a.begin(), a.end(), by_id);
    std::sort(b.begin(), b.end(), by_id);
    std::vector<IndexHit> common;
    std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(common),
                          by_id);
    true_hits += a.size();
    found_hits += common.size();
    extra_hits += b.size() - common.size();
    exact_sets += truth[q] == got[q] ? 1 : 0;
  }
  size_t total_results = 0, empty = 0;
  for (const auto& g : got) {
    total_results += g.size();
    empty += g.empty() ? 1 : 0;
  }

  const double index_qps = queries / index_s;
  const double brute_qps = brute_queries / brute_s;
  const int m = index.multi_index_substrings();
  std::printf(
      "PDQ index search: n=%zu queries=%zu radius=%d threads=%d "
      "seed=%" PRIu64 "\n",
      n, queries, radius, threads, seed);
  std::printf("  data generated in %.1f s; structure: %s", gen_s,
              m > 0 ? "multi-index hashing, " : "flat scan\n");
  if (m > 0) std::printf("m=%d substrings\n", m);
  std::printf("  %-26s %12.2f s\n", "build (Add of all n)", build_s);
  std::printf("  %-26s %12.1f B/hash\n", "index MemoryBytes()",
              static_cast<double>(index.MemoryBytes()) / n);
  std::printf("  %-26s %12.1f B/hash\n", "resident memory (RSS) delta",
              static_cast<double>(rss_after - rss_before) / n);
  std::printf("  %-26s %12.1f B/hash (transient, merge buffers)\n", "peak RSS during build",
              static_cast<double>(peak_after - rss_before) / n);
  std::printf("  %-26s %12s %10s %10s %10s\n", "", "queries/s", "mean us", "p50 us", "p99 us");
  double mean_us = 0;
  for (double v : latency_us) mean_us += v / queries;
  std::printf("  %-26s %12.0f %10.1f %10.1f %10.1f\n", "index", index_qps, mean_us,
              Percentile(latency_us, 0.5), Percentile(latency_us, 0.99));
  char label[64];
  std::snprintf(label, sizeof(label), "brute force (%zu queries)", brute_queries);
  std::printf("  %-26s %12.1f %10.1f\n", label, brute_qps, 1e6 * threads / brute_qps);
  std::printf("  %-26s %12.1fx\n", "index / brute force", index_qps / brute_qps);
  std::printf(
      "  %-26s %12.6f (%zu of %zu true hits; %zu extra; %zu/%zu "
      "result lists identical)\n",
      "recall vs brute force", true_hits ? static_cast<double>(found_hits) / true_hits : 1.0,
      found_hits, true_hits, extra_hits, exact_sets, brute_queries);
  std::printf("  %-26s %12.2f (%.1f%% of queries have none)\n", "results per query",
              static_cast<double>(total_results) / queries, 100.0 * empty / queries);

  if (stats && m > 0) {
    const MultiIndexPlan plan = MultiIndexPlan::WithSubstrings(m);
    const MultiIndexTable table = MultiIndexTable::Build(codes.data(), n, plan, threads);
    std::vector<uint32_t> rows;
    double candidates = 0;
    const size_t sample = std::min<size_t>(queries, 1000);
    for (size_t q = 0; q < sample; ++q) {
      rows.clear();
      table.CollectCandidates(&qcodes[q * kPdqCodeBytes], radius, &rows);
      candidates += static_cast<double>(rows.size()) / sample;
    }
    const MultiIndexPlan::Estimate e = plan.EstimateCost(radius, n);
    std::printf(
        "  candidates per query: measured %.0f; model %.0f probes, "
        "%.0f candidates for uniform bits\n",
        candidates, e.probes, e.candidates);
  }
  return found_hits == true_hits && extra_hits == 0 ? 0 : 1;
}

}  // namespace hashwatch::bench
