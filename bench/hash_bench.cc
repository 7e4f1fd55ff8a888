// hashwatch-bench hash DIR: speed of decode + PDQ against a naive baseline.
//
// In the same run, on the same files, alternating rounds (the machine is
// shared and noisy; we report medians of rounds and their ratio):
//   baseline  cv::imread(path, IMREAD_COLOR): the full-size decode a naive
//             implementation pays before it can even start hashing;
//   hashwatch ImageHasher::HashFile(path) with --signals pdq: read, probe,
//             reduced decode, PDQ (+ dihedral variants): the whole job;
// plus the split of hashwatch's time between decoding and hashing, and its
// throughput with --jobs N threads against one thread.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench_commands.h"
#include "hashwatch/embedding.h"
#include "hashwatch/image_hasher.h"
#include "hashwatch/ordered_parallel.h"
#include "hashwatch/signal_type.h"
#include "measure.h"
#include "media/file_reader.h"
#include "media/image_decoder.h"
#include "media/image_probe.h"
#include "signals/pdq_hash.h"

namespace hashwatch::bench {
namespace {

struct BenchFile {
  std::string path;
  double megapixels = 0;
  bool jpeg = false;
};

// Runs `per_file` over all files on `jobs` threads; returns wall seconds.
template <typename F>
double TimeAll(const std::vector<BenchFile>& files, int jobs, F per_file) {
  const auto t0 = Clock::now();
  OrderedParallelMap<int>(
      files.size(), jobs, [&](size_t i) { return per_file(files[i]); }, [](size_t, int&&) {});
  return Seconds(t0, Clock::now());
}

void PrintRow(const char* name, double secs, const std::vector<BenchFile>& files, double base) {
  double mp = 0;
  for (const auto& f : files) mp += f.megapixels;
  std::printf("%-34s %9.3f %10.1f %9.1f %8.2f\n", name, secs, files.size() / secs, mp / secs,
              secs / base);
}

}  // namespace

int RunHashBench(int argc, char** argv) {
  CLI::App app{"Decode + PDQ speed on the images under DIR, beside full-size cv::imread."};
  app.name("hashwatch-bench hash");
  std::string dir;
  int jobs = 2, rounds = 5;
  bool jpeg_only = false;
  std::string embedding_model;
  bool embedding = false;
  app.add_option("dir", dir, "Folder of images (see bench/assemble_corpus.sh)")->required();
  app.add_option("--jobs", jobs, "Threads for the parallel run")->capture_default_str();
  app.add_option("--rounds", rounds, "Alternating rounds; medians are reported")
      ->capture_default_str();
  app.add_flag("--jpeg-only", jpeg_only, "Only files whose content is JPEG");
  app.add_flag("--embedding", embedding,
               "Also time hashing with the embedding (the default model, or --embedding-model): "
               "its cost per image on one thread, decode included");
  app.add_option("--embedding-model", embedding_model,
                 "Settings (model.json) of the model to time");
  CLI11_PARSE(app, argc, argv);
  embedding |= !embedding_model.empty();
  std::optional<ImageHasher> embedder;
  if (embedding) {
    auto model = EmbeddingModel::LoadSettings(
        embedding_model.empty() ? DefaultEmbeddingModelSettingsPath() : embedding_model);
    if (!model.ok()) {
      std::fprintf(stderr, "%s\n", model.status().ToString().c_str());
      return 2;
    }
    HashOptions e;
    e.embedding = *model;
    auto created = ImageHasher::Create(e);
    if (!created.ok()) return 2;
    embedder.emplace(*std::move(created));
  }

  HashOptions options;  // pdq only
  auto hasher = ImageHasher::Create(options);
  if (!hasher.ok()) return 2;
  const int working_side = FindSignalType("pdq")->working_side();

  // Collect the files that decode, with their sizes.
  std::vector<BenchFile> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    auto bytes = media::ReadFile(e.path().string(), DecodeLimits{}.max_bytes);
    if (!bytes.ok()) continue;
    auto info = media::ProbeImage(*bytes);
    if (!info.ok()) continue;
    const bool jpeg = info->format == media::ImageFormat::kJpeg;
    if (jpeg_only && !jpeg) continue;
    files.push_back({e.path().string(), info->width * info->height / 1e6, jpeg});
  }
  std::sort(files.begin(), files.end(),
            [](const BenchFile& a, const BenchFile& b) { return a.path < b.path; });
  if (files.empty()) {
    std::fprintf(stderr, "no images under %s\n", dir.c_str());
    return 2;
  }
  double total_mp = 0;
  for (const auto& f : files) total_mp += f.megapixels;

  // Warm the page cache so every variant reads from memory.
  TimeAll(files, 1, [](const BenchFile& f) {
    return static_cast<int>(media::ReadFile(f.path, 1LL << 40).ok());
  });

  std::vector<double> base1, hw1, hwN, dec, pdq, emb1, colour_dec, network;
  for (int r = 0; r < rounds; ++r) {
    base1.push_back(TimeAll(files, 1, [](const BenchFile& f) {
      return cv::imread(f.path, cv::IMREAD_COLOR).empty() ? 0 : 1;
    }));
    hw1.push_back(TimeAll(
        files, 1, [&](const BenchFile& f) { return hasher->HashFile(f.path).ok() ? 1 : 0; }));
    if (embedder.has_value()) {
      emb1.push_back(TimeAll(
          files, 1, [&](const BenchFile& f) { return embedder->HashFile(f.path).ok() ? 1 : 0; }));
    }
    hwN.push_back(TimeAll(
        files, jobs, [&](const BenchFile& f) { return hasher->HashFile(f.path).ok() ? 1 : 0; }));
    // Split of the single-thread pipeline: decode vs PDQ; with the
    // embedding, also decoding with its colour copy (against the grey decode)
    // and the network with its pooling. One read of each file serves both.
    const EmbeddingModel* model =
        embedder.has_value() ? embedder->options().embedding.get() : nullptr;
    double d = 0, p = 0, c = 0, e = 0;
    for (const auto& f : files) {
      auto bytes = media::ReadFile(f.path, 1LL << 40);
      const auto t0 = Clock::now();
      auto img = media::DecodeImage(*bytes, DecodeLimits{}, working_side);
      const auto t1 = Clock::now();
      if (img.ok()) signals::ComputePdq(img->luma);
      const auto t2 = Clock::now();
      d += Seconds(t0, t1);
      p += Seconds(t1, t2);
      if (model == nullptr) continue;
      const auto t3 = Clock::now();
      auto with_colour =
          media::DecodeImage(*bytes, DecodeLimits{}, working_side, false, model->colour_side());
      const auto t4 = Clock::now();
      if (with_colour.ok()) (void)model->Embed(*with_colour);
      const auto t5 = Clock::now();
      c += Seconds(t3, t4);
      e += Seconds(t4, t5);
    }
    dec.push_back(d);
    pdq.push_back(p);
    colour_dec.push_back(c);
    network.push_back(e);
  }

  const double b = Median(base1);
  size_t jpegs =
      std::count_if(files.begin(), files.end(), [](const BenchFile& f) { return f.jpeg; });
  std::printf("%zu images (%zu JPEG), %.1f megapixels, %d rounds, medians\n\n", files.size(), jpegs,
              total_mp, rounds);
  std::printf("%-34s %9s %10s %9s %8s\n", "", "seconds", "images/s", "MP/s", "vs base");
  PrintRow("baseline cv::imread full size, 1 thr", b, files, b);
  PrintRow("hashwatch hash pdq, 1 thread", Median(hw1), files, b);
  char name[64];
  std::snprintf(name, sizeof(name), "hashwatch hash pdq, %d threads", jobs);
  PrintRow(name, Median(hwN), files, b);
  PrintRow("  of which decode (1 thread)", Median(dec), files, b);
  PrintRow("  of which PDQ (1 thread)", Median(pdq), files, b);
  std::printf("\nhashwatch / baseline time (1 thread): %.3f\n", Median(hw1) / b);
  if (!emb1.empty()) {
    PrintRow("hashwatch hash pdq + embedding, 1 thr", Median(emb1), files, b);
    const double n = static_cast<double>(files.size());
    std::printf(
        "embedding (%s, %dx%d): %.1f ms per image on one thread with PDQ, decode included; "
        "%.1f ms more than PDQ alone\n",
        embedder->options().embedding->name().c_str(),
        embedder->options().embedding->options().input_width,
        embedder->options().embedding->options().input_height, 1e3 * Median(emb1) / n,
        1e3 * (Median(emb1) - Median(hw1)) / n);
    std::printf(
        "  of which: colour copy %.1f ms (decode with it %.1f ms, grey only %.1f ms), "
        "network and pooling %.1f ms\n",
        1e3 * (Median(colour_dec) - Median(dec)) / n, 1e3 * Median(colour_dec) / n,
        1e3 * Median(dec) / n, 1e3 * Median(network) / n);
  }
  std::printf("speed-up with %d threads: %.2fx\n", jobs, Median(hw1) / Median(hwN));
  return 0;
}

}  // namespace hashwatch::bench
