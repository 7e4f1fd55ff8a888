// hashwatch-bench float-index: FloatIndex (embedding vectors) build time,
// memory, batched queries/s and recall@10 against exact inner-product search
// in the same run, for each candidate index kind side by side with the exact
// baseline. Results: docs/benchmarks.md "Embedding float index".
//
// Data (real embeddings are not available at 1M): unit vectors drawn from a
// mixture of Gaussian clusters in a space whose per-dimension variance
// decays as 1 / (j + 1) (--decay 1), the power-law spectrum of CNN
// embeddings after a PCA rotation (--decay 0: flat, as after whitening). Cluster centres ~ N(0,
// diag(s^2)), members = centre +
// --spread * N(0, diag(s^2)), then L2-normalised; ~100 members a cluster.
// Queries: half near-copies (a stored vector plus noise of the same
// spectrum, a quarter of a member's norm, renormalised: cosine ~0.97 with
// the original, like a re-encoded or lightly edited image), half fresh
// members of the same clusters (similar but not copies: cosine ~0.6 with
// their cluster's members at --spread 0.8).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_commands.h"
#include "index/float_index.h"
#include "measure.h"
#include "pdq_like_generator.h"

namespace hashwatch::bench {
namespace {

using index::FloatHit;
using index::FloatIndex;
using index::FloatIndexKind;
using index::FloatIndexOptions;
using Results = std::vector<std::vector<FloatHit>>;

struct Gaussian {
  Rng rng;
  bool have = false;
  float spare = 0;
  float Next() {
    if (have) {
      have = false;
      return spare;
    }
    const double u1 = 1.0 - rng.Uniform(), u2 = rng.Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
    spare = static_cast<float>(r * std::sin(a));
    have = true;
    return static_cast<float>(r * std::cos(a));
  }
};

void Normalise(float* v, int d) {
  double norm = 0;
  for (int j = 0; j < d; ++j) norm += double{v[j]} * v[j];
  const float inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (int j = 0; j < d; ++j) v[j] *= inv;
}

// Runs fn(begin, end) over [0, n) in `threads` contiguous chunks.
template <typename Fn>
void ParallelChunks(size_t n, int threads, Fn fn) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] { fn(n * t / threads, n * (t + 1) / threads); });
  }
  for (std::thread& th : pool) th.join();
}

class EmbeddingGenerator {
 public:
  EmbeddingGenerator(int d, size_t clusters, float spread, double decay, uint64_t seed)
      : d_(d),
        clusters_(clusters),
        spread_(spread),
        seed_(seed),
        scale_(d),
        centres_(clusters * d) {
    double variance = 0;
    for (int j = 0; j < d; ++j) {
      scale_[j] = static_cast<float>(std::pow(j + 1.0, -decay / 2));
      variance += double{scale_[j]} * scale_[j];
    }
    // A member's typical norm before normalising: copy noise is relative to it.
    member_norm_ = static_cast<float>(std::sqrt((1.0 + double{spread} * spread) * variance));
    ParallelChunks(clusters, 2, [&](size_t b, size_t e) {
      for (size_t c = b; c < e; ++c) {
        Gaussian g{Rng{seed * 31 + c * 0x9E3779B97F4A7C15ULL + 1}};
        for (int j = 0; j < d; ++j) centres_[c * d + j] = scale_[j] * g.Next();
      }
    });
  }

  // Row `key` of a stream (deterministic for any thread count).
  void Member(uint64_t stream, uint64_t key, float* out) const {
    Gaussian g{Rng{(seed_ ^ (stream << 56)) + key * 0xD1B54A32D192ED03ULL}};
    const float* c = &centres_[(g.rng.Next() % clusters_) * d_];
    for (int j = 0; j < d_; ++j) out[j] = c[j] + spread_ * scale_[j] * g.Next();
    Normalise(out, d_);
  }
  void NearCopy(uint64_t key, const float* in, float* out) const {
    Gaussian g{Rng{(seed_ ^ (uint64_t{7} << 56)) + key * 0xD1B54A32D192ED03ULL}};
    const float sigma = 0.25f / member_norm_;  // cosine with `in` ~ 1 / sqrt(1 + 0.25^2)
    for (int j = 0; j < d_; ++j) out[j] = in[j] + sigma * scale_[j] * g.Next();
    Normalise(out, d_);
  }

 private:
  int d_;
  size_t clusters_;
  float spread_;
  float member_norm_ = 1;
  uint64_t seed_;
  std::vector<float> scale_;
  std::vector<float> centres_;
};

struct Row {
  std::string kind;
  int effort = 0;
  double build_s = 0;
  size_t index_bytes = 0;
  long long rss_growth = 0;
  std::vector<double> qps_runs;
  double cpu_ms_per_query = 0;
  double recall = 0;
  double recall_copies = 0;
  double recall_fresh = 0;
  double copy_top1 = 0;
};

// Recall@k over the queries q with q % 2 == parity (copies: 0, fresh: 1),
// or all queries for parity -1.
double RecallAt(const Results& got, const Results& truth, size_t k, int parity = -1) {
  double found = 0;
  size_t counted = 0;
  for (size_t q = 0; q < truth.size(); ++q) {
    if (parity >= 0 && static_cast<int>(q % 2) != parity) continue;
    ++counted;
    for (size_t i = 0; i < std::min(k, got[q].size()); ++i) {
      for (size_t j = 0; j < std::min(k, truth[q].size()); ++j) {
        if (got[q][i].id == truth[q][j].id) {
          found += 1;
          break;
        }
      }
    }
  }
  return counted ? found / static_cast<double>(counted * k) : 0;
}

// Share of the near-copy queries (even numbers) whose original is first.
double CopyTop1(const Results& got, const std::vector<int64_t>& copy_of, size_t nq) {
  size_t copies = 0, first = 0;
  for (size_t q = 0; q < nq; q += 2) {
    ++copies;
    first += !got[q].empty() && got[q][0].id == copy_of[q] ? 1 : 0;
  }
  return copies ? static_cast<double>(first) / copies : 0;
}

std::vector<int> ParseInts(const std::string& list) {
  std::vector<int> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(std::stoi(item));
  return out;
}

}  // namespace

int RunFloatIndexBench(int argc, char** argv) {
  CLI::App app{
      "Embedding float index: build time, memory, batched queries/s and "
      "recall@10 against exact inner-product search, on synthetic clustered "
      "unit vectors with a decaying spectrum (see float_index_bench.cc).",
      "hashwatch-bench float-index"};
  size_t n = 1000000, queries = 10000, truth_queries = 1000, clusters = 0;
  int d = 256, k = 10, threads = 2, repeats = 3, ivf_lists = 0, train_iterations = 10,
      train_points = 64, hnsw_m = 32, hnsw_ef_construction = 40;
  float spread = 0.8f;
  double decay = 1.0;
  uint64_t seed = 1;
  std::string kinds = "ivf-flat,ivf-sq8", nprobes = "8,16,32", efs = "32,64,128", json_path;
  app.add_option("--vectors", n, "Vectors in the index")->check(CLI::PositiveNumber);
  app.add_option("--dimension", d, "Floats per vector")->check(CLI::PositiveNumber);
  app.add_option("--queries", queries, "Queries timed (one batch)")->check(CLI::PositiveNumber);
  app.add_option("--truth-queries", truth_queries,
                 "Queries with exact ground truth (the first ones; also the exact "
                 "baseline's timed batch)");
  app.add_option("--k", k, "Results per query")->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "OpenMP threads of a batched search")
      ->check(CLI::Range(1, 256));
  app.add_option("--repeats", repeats, "Timed runs per setting (median reported)");
  app.add_option("--kinds", kinds,
                 "Candidates: ivf-flat, ivf-sq8, ivf-fp16, hnsw; an IVF kind with "
                 "':scan' uses FAISS's own scan instead of by-list batches");
  app.add_option("--nprobe", nprobes, "IVF lists probed, comma-separated");
  app.add_option("--ef", efs, "HNSW efSearch values, comma-separated");
  app.add_option("--ivf-lists", ivf_lists, "IVF lists (0: FloatIndex's sqrt rule)");
  app.add_option("--train-iterations", train_iterations, "IVF k-means iterations");
  app.add_option("--train-points", train_points, "IVF training points per list");
  app.add_option("--hnsw-m", hnsw_m, "HNSW links per node");
  app.add_option("--hnsw-ef-construction", hnsw_ef_construction, "HNSW build effort");
  app.add_option("--clusters", clusters, "Clusters in the data (0: vectors / 100)");
  app.add_option("--spread", spread, "Within-cluster spread relative to the centres");
  app.add_option("--decay", decay,
                 "Spectrum: variance of dimension j ~ (j + 1)^-decay (0: flat, as "
                 "after PCA whitening)");
  app.add_option("--seed", seed, "Seed of the synthetic data");
  app.add_option("--json", json_path, "Also append the JSON lines to this file");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  truth_queries = std::min(truth_queries, queries);
  if (clusters == 0) clusters = std::max<size_t>(1, n / 100);
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  const char* blas_threads = std::getenv("OPENBLAS_NUM_THREADS");
  std::FILE* json = json_path.empty() ? nullptr : std::fopen(json_path.c_str(), "a");

  // Data.
  const auto gen_start = Clock::now();
  const EmbeddingGenerator gen(d, clusters, spread, decay, seed);
  std::vector<float> data(n * d);
  std::vector<int64_t> ids(n);
  ParallelChunks(n, 2, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      gen.Member(1, i, &data[i * d]);
      Rng mix{seed * 0x100000001B3ULL + i};
      ids[i] = static_cast<int64_t>(mix.Next() >> 1);  // ids unlike row numbers
    }
  });
  std::vector<float> qdata(queries * d);
  std::vector<int64_t> copy_of(queries, -1);
  for (size_t q = 0; q < queries; ++q) {
    if (q % 2 == 0) {
      Rng pick{seed * 77 + q};
      const size_t row = pick.Next() % n;
      gen.NearCopy(q, &data[row * d], &qdata[q * d]);
      copy_of[q] = ids[row];
    } else {
      gen.Member(2, q, &qdata[q * d]);
    }
  }
  const double gen_s = Seconds(gen_start, Clock::now());
  std::printf(
      "float index: n=%zu d=%d queries=%zu (truth on %zu) k=%d threads=%d clusters=%zu "
      "spread=%.2f decay=%.2f seed=%" PRIu64 " OMP_WAIT_POLICY=%s OPENBLAS_NUM_THREADS=%s\n",
      n, d, queries, truth_queries, k, threads, clusters, spread, decay, seed,
      wait_policy ? wait_policy : "(unset)", blas_threads ? blas_threads : "(unset)");
  std::printf("  data generated in %.1f s (%.0f MiB of vectors)\n", gen_s,
              static_cast<double>(n) * d * 4 / (1 << 20));

  FloatIndexOptions base;
  base.dimension = d;
  base.search_threads = threads;
  base.ivf_lists = ivf_lists;
  base.ivf_train_iterations = train_iterations;
  base.ivf_train_points_per_list = train_points;
  base.hnsw_m = hnsw_m;
  base.hnsw_ef_construction = hnsw_ef_construction;
  base.build_threads = threads;

  std::vector<Row> rows;
  auto emit = [&](const Row& r) {
    nlohmann::json j = {{"bench", "float-index"},
                        {"kind", r.kind},
                        {"vectors", n},
                        {"dimension", d},
                        {"decay", decay},
                        {"spread", spread},
                        {"queries", queries},
                        {"truth_queries", truth_queries},
                        {"k", k},
                        {"threads", threads},
                        {"omp_wait_policy", wait_policy ? wait_policy : ""},
                        {"effort", r.effort},
                        {"build_s", r.build_s},
                        {"index_bytes", r.index_bytes},
                        {"rss_growth_bytes", r.rss_growth},
                        {"qps_median", Median(r.qps_runs)},
                        {"qps_runs", r.qps_runs},
                        {"cpu_ms_per_query", r.cpu_ms_per_query},
                        {"recall_at_10", r.recall},
                        {"recall_at_10_copies", r.recall_copies},
                        {"recall_at_10_fresh", r.recall_fresh},
                        {"copy_top1", r.copy_top1}};
    const std::string line = j.dump();
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
    if (json) {
      std::fprintf(json, "%s\n", line.c_str());
      std::fflush(json);
    }
    rows.push_back(r);
  };
  auto fail = [](const absl::Status& s) {
    std::fprintf(stderr, "float-index: %s\n", s.ToString().c_str());
    return 1;
  };
  const auto truth_span = absl::MakeConstSpan(qdata).subspan(0, truth_queries * d);

  // Exact baseline and ground truth.
  Results truth;
  {
    FloatIndexOptions o = base;
    o.exact_limit = n + 1;
    auto exact = FloatIndex::Create(o);
    if (!exact.ok()) return fail(exact.status());
    Row r;
    r.kind = "exact flat-ip";
    const size_t rss0 = ResidentBytes();
    const auto t0 = Clock::now();
    if (absl::Status s = (*exact)->Add(ids, data); !s.ok()) return fail(s);
    r.build_s = Seconds(t0, Clock::now());
    r.rss_growth = static_cast<long long>(ResidentBytes()) - static_cast<long long>(rss0);
    r.index_bytes = (*exact)->memory_bytes();
    const double cpu0 = ProcessCpuSeconds();
    const auto s0 = Clock::now();
    auto got = (*exact)->Search(truth_span, truth_queries, k);
    if (!got.ok()) return fail(got.status());
    r.qps_runs.push_back(truth_queries / Seconds(s0, Clock::now()));
    r.cpu_ms_per_query = (ProcessCpuSeconds() - cpu0) * 1e3 / truth_queries;
    truth = std::move(got).value();
    r.recall = r.recall_copies = r.recall_fresh = 1.0;
    r.copy_top1 = CopyTop1(truth, copy_of, truth_queries);
    emit(r);
  }

  std::stringstream kind_list(kinds);
  for (std::string name; std::getline(kind_list, name, ',');) {
    FloatIndexOptions o = base;
    o.exact_limit = 1;
    // "ivf-flat:scan": FAISS's own per-vector IVF scan, not by-list batches.
    const bool faiss_scan = name.size() > 5 && name.substr(name.size() - 5) == ":scan";
    if (faiss_scan) name.resize(name.size() - 5);
    o.batch_by_list = !faiss_scan;
    std::vector<int> efforts;
    if (name == "ivf-flat") {
      o.kind = FloatIndexKind::kIvfFlat;
    } else if (name == "ivf-sq8") {
      o.kind = FloatIndexKind::kIvfSq8;
    } else if (name == "ivf-fp16") {
      o.kind = FloatIndexKind::kIvfFp16;
    } else if (name == "hnsw") {
      o.kind = FloatIndexKind::kHnswFlat;
    } else {
      std::fprintf(stderr, "float-index: unknown kind '%s'\n", name.c_str());
      return 2;
    }
    efforts = ParseInts(o.kind == FloatIndexKind::kHnswFlat ? efs : nprobes);
    auto index = FloatIndex::Create(o);
    if (!index.ok()) return fail(index.status());
    const size_t rss0 = ResidentBytes();
    const auto t0 = Clock::now();
    if (absl::Status s = (*index)->Add(ids, data); !s.ok()) return fail(s);
    const double build_s = Seconds(t0, Clock::now());
    const long long rss_growth =
        static_cast<long long>(ResidentBytes()) - static_cast<long long>(rss0);
    std::fprintf(stderr, "  %s built in %.1f s\n", name.c_str(), build_s);
    for (int effort : efforts) {
      if (absl::Status s = (*index)->SetSearchEffort(effort); !s.ok()) return fail(s);
      Row r;
      r.kind = (*index)->kind() + (faiss_scan ? " (FAISS scan)" : "");
      r.effort = effort;
      r.build_s = build_s;
      r.rss_growth = rss_growth;
      r.index_bytes = (*index)->memory_bytes();
      Results got;
      double cpu = 0;
      for (int rep = 0; rep < std::max(1, repeats); ++rep) {
        const double cpu0 = ProcessCpuSeconds();
        const auto s0 = Clock::now();
        auto res = (*index)->Search(qdata, queries, k);
        if (!res.ok()) return fail(res.status());
        r.qps_runs.push_back(queries / Seconds(s0, Clock::now()));
        cpu += ProcessCpuSeconds() - cpu0;
        got = std::move(res).value();
      }
      r.cpu_ms_per_query = cpu * 1e3 / (queries * std::max(1, repeats));
      r.recall = RecallAt(got, truth, 10);
      r.recall_copies = RecallAt(got, truth, 10, 0);
      r.recall_fresh = RecallAt(got, truth, 10, 1);
      r.copy_top1 = CopyTop1(got, copy_of, truth_queries);
      emit(r);
    }
  }

  std::printf(
      "\n| index (n=%zu, d=%d) | build s | index MiB | RSS growth MiB | queries/s "
      "(median) | CPU ms/query | recall@10 | copies / fresh | copies top-1 |\n",
      n, d);
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const Row& r : rows) {
    std::printf("| %s | %.1f | %.0f | %.0f | %.0f | %.2f | %.4f | %.3f / %.3f | %.4f |\n",
                r.kind.c_str(), r.build_s, r.index_bytes / 1048576.0, r.rss_growth / 1048576.0,
                Median(r.qps_runs), r.cpu_ms_per_query, r.recall, r.recall_copies, r.recall_fresh,
                r.copy_top1);
  }
  if (json) std::fclose(json);
  return 0;
}

}  // namespace hashwatch::bench
