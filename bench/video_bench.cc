// hashwatch-bench video: the video pipeline measured three ways.
//  1. Speed: VideoHasher::HashFile on one thread (with the decode / border /
//     PDQ split) against a baseline that does what Meta's vPDQ does (every
//     frame decoded, every floor(interval * fps)-th converted to full-size RGB
//     and hashed), in the same run, in alternating rounds, medians.
//  2. Localisation (--edits, --refs): edited copies from
//     testdata/make_video_edits.sh matched against the enrolled references:
//     found at the right place, false matches, errors; unrelated photos
//     (--photos) scanned against the same references.
//  3. Index scale (--index-frames): MatchFrames for a 10-minute query over a
//     PdqIndex + FrameDirectory of N synthetic frames.
// Results: docs/benchmarks.md "Video".
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>
}
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "bench_commands.h"
#include "catalog/catalog_candidates.h"
#include "catalog/frame_directory.h"
#include "hashwatch/catalog.h"
#include "hashwatch/video_hasher.h"
#include "index/pdq_index.h"
#include "match/frame_matcher.h"
#include "measure.h"
#include "media/border_detector.h"
#include "media/file_reader.h"
#include "media/video_decoder.h"
#include "pdq_like_generator.h"
#include "signals/pdq_hash.h"

namespace hashwatch::bench {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------
// 1. Speed
// ---------------------------------------------------------------------------

// What Meta's vPDQ does per file (vpdq/cpp: decode every frame with
// libavcodec, hash the frames whose number is a multiple of
// floor(seconds_per_hash * fps), each converted to RGB at full size, PDQ of
// its luma). One decoder thread, no skip flags.
struct BaselineResult {
  int64_t decoded = 0;
  int64_t hashed = 0;
  int frame_mod = 0;
};

absl::StatusOr<BaselineResult> RunBaseline(const std::string& path, double interval) {
  AVFormatContext* fmt = nullptr;
  if (avformat_open_input(&fmt, path.c_str(), nullptr, nullptr) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": avformat_open_input failed"));
  }
  std::unique_ptr<AVFormatContext*, void (*)(AVFormatContext**)> fmt_guard(
      &fmt, [](AVFormatContext** f) { avformat_close_input(f); });
  if (avformat_find_stream_info(fmt, nullptr) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no stream info"));
  }
  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream < 0 || codec == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": no video stream"));
  }
  AVStream* st = fmt->streams[stream];
  AVCodecContext* ctx = avcodec_alloc_context3(codec);
  std::unique_ptr<AVCodecContext*, void (*)(AVCodecContext**)> ctx_guard(
      &ctx, [](AVCodecContext** c) { avcodec_free_context(c); });
  avcodec_parameters_to_context(ctx, st->codecpar);
  ctx->thread_count = 1;
  if (avcodec_open2(ctx, codec, nullptr) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": avcodec_open2 failed"));
  }
  double fps = av_q2d(st->avg_frame_rate);
  if (!(fps > 0)) fps = av_q2d(st->r_frame_rate);
  BaselineResult result;
  result.frame_mod = std::max(1, static_cast<int>(std::floor(interval * fps)));

  AVPacket* pkt = av_packet_alloc();
  AVFrame* frame = av_frame_alloc();
  SwsContext* sws = nullptr;
  std::vector<uint8_t> rgb;
  cv::Mat luma;
  auto on_frame = [&]() {
    const int64_t number = result.decoded++;
    if (number % result.frame_mod != 0) return;
    const int w = frame->width, h = frame->height;
    sws = sws_getCachedContext(sws, w, h, static_cast<AVPixelFormat>(frame->format), w, h,
                               AV_PIX_FMT_RGB24, SWS_BICUBIC, nullptr, nullptr, nullptr);
    rgb.resize(static_cast<size_t>(w) * h * 3);
    uint8_t* dst[4] = {rgb.data(), nullptr, nullptr, nullptr};
    int stride[4] = {w * 3, 0, 0, 0};
    sws_scale(sws, frame->data, frame->linesize, 0, h, dst, stride);
    luma.create(h, w, CV_32FC1);
    for (int y = 0; y < h; ++y) {
      const uint8_t* p = &rgb[static_cast<size_t>(y) * w * 3];
      float* q = luma.ptr<float>(y);
      for (int x = 0; x < w; ++x, p += 3) q[x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
    }
    const signals::PdqResult pdq = signals::ComputePdq(luma);
    (void)pdq;
    ++result.hashed;
  };
  auto drain = [&]() {
    while (avcodec_receive_frame(ctx, frame) == 0) {
      on_frame();
      av_frame_unref(frame);
    }
  };
  while (av_read_frame(fmt, pkt) >= 0) {
    if (pkt->stream_index == stream && avcodec_send_packet(ctx, pkt) >= 0) drain();
    av_packet_unref(pkt);
  }
  avcodec_send_packet(ctx, nullptr);
  drain();
  sws_freeContext(sws);
  av_frame_free(&frame);
  av_packet_free(&pkt);
  return result;
}

// hashwatch's pipeline replayed with a clock around each stage (decoding
// included): border analysis and PDQ seconds. The hasher's own run is timed
// separately; this is only for the split.
struct StageSplit {
  double border = 0;
  double pdq = 0;
};

absl::StatusOr<StageSplit> RunStageSplit(const std::string& path, const VideoOptions& options) {
  absl::StatusOr<media::RegularFile> file =
      media::RegularFile::Open(path, options.limits.max_video_bytes);
  if (!file.ok()) return file.status();
  media::VideoDecodeOptions decode;
  decode.sample_interval = options.sample_interval;
  decode.limits = options.limits;
  StageSplit split;
  std::optional<media::BorderDetector> detector;
  std::vector<cv::Mat> pending;
  cv::Rect crop;
  bool decided = false;
  auto hash = [&](const cv::Mat& frame) {
    const auto t0 = Clock::now();
    cv::Rect rect = crop.area() > 0 ? crop : cv::Rect(cv::Point(0, 0), frame.size());
    rect &= cv::Rect(cv::Point(0, 0), frame.size());
    cv::Mat luma;
    frame(rect).convertTo(luma, CV_32F);
    (void)signals::ComputePdq(luma, options.variants);
    split.pdq += Seconds(t0, Clock::now());
  };
  auto decide = [&]() {
    const auto t0 = Clock::now();
    crop = detector->ContentRect();
    split.border += Seconds(t0, Clock::now());
    decided = true;
    for (const cv::Mat& m : pending) hash(m);
    pending.clear();
  };
  media::VideoInfo info;
  absl::Status s = media::DecodeVideo(
      {.file = &*file, .bytes = {}}, decode,
      [&](media::SampledFrame&& f) {
        if (decided) {
          hash(f.luma);
          return absl::OkStatus();
        }
        const auto t0 = Clock::now();
        if (!detector.has_value()) detector.emplace(f.luma.cols, f.luma.rows);
        detector->AddFrame(f.luma);
        split.border += Seconds(t0, Clock::now());
        pending.push_back(std::move(f.luma));
        if (static_cast<int>(pending.size()) >= options.border_window) decide();
        return absl::OkStatus();
      },
      &info);
  if (!s.ok()) return s;
  if (!decided && detector.has_value()) decide();
  return split;
}

absl::StatusOr<double> RunDecodeOnly(const std::string& path, const VideoOptions& options,
                                     bool every_frame) {
  absl::StatusOr<media::RegularFile> file =
      media::RegularFile::Open(path, options.limits.max_video_bytes);
  if (!file.ok()) return file.status();
  media::VideoDecodeOptions decode;
  decode.sample_interval = options.sample_interval;
  decode.limits = options.limits;
  decode.decode_every_frame = every_frame;
  media::VideoInfo info;
  const auto t0 = Clock::now();
  absl::Status s = media::DecodeVideo(
      {.file = &*file, .bytes = {}}, decode, [](media::SampledFrame&&) { return absl::OkStatus(); },
      &info);
  if (!s.ok()) return s;
  return Seconds(t0, Clock::now());
}

struct SpeedRow {
  std::string name;
  std::string codec;
  int width = 0, height = 0;
  double fps = 0;
  double video_s = 0;
  int64_t decoded_frames = 0;  // hashwatch's decoder
  int64_t samples = 0;         // hashwatch's sampled moments
  int64_t baseline_decoded = 0;
  int64_t baseline_hashed = 0;
  std::vector<double> hasher, hasher_digests, hasher_query, hasher_query_plain, decode, decode_all,
      border, pdq, baseline;
};

bool LooksLikeVideoFile(const std::filesystem::path& p) {
  // Cheap pre-filter; the real test is that the hasher accepts it as a video
  // of more than one frame.
  static const std::set<std::string> kSkip = {".tsv", ".txt",  ".md",   ".json", ".csv",
                                              ".jpg", ".jpeg", ".png",  ".gif",  ".webp",
                                              ".bmp", ".tif",  ".tiff", ".sh",   ".py"};
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return kSkip.count(ext) == 0;
}

int RunSpeed(const std::string& dir, double interval, int repeat, std::FILE* json) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file() && LooksLikeVideoFile(e.path())) paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  // Names relative to DIR as listed (symbolic links kept, not resolved).
  auto name_of = [&](const std::string& path) {
    return std::filesystem::path(path).lexically_relative(dir).string();
  };

  VideoOptions options;
  options.sample_interval = interval;
  options.digests.clear();
  VideoOptions with_digests = options;
  with_digests.digests = VideoOptions().digests;
  absl::StatusOr<VideoHasher> hasher = VideoHasher::Create(options);
  absl::StatusOr<VideoHasher> hasher_d = VideoHasher::Create(with_digests);
  // What `scan` (Catalog::MatchFile) hashes a query with: the eight
  // dihedral variants and each kept frame's border view too.
  VideoOptions as_scan = options;
  as_scan.variants = true;
  as_scan.views.border = CatalogOptions().query_views.border;
  absl::StatusOr<VideoHasher> hasher_q = VideoHasher::Create(as_scan);
  VideoOptions as_scan_plain = as_scan;  // ... and without the border views
  as_scan_plain.views = {};
  absl::StatusOr<VideoHasher> hasher_qp = VideoHasher::Create(as_scan_plain);
  if (!hasher.ok() || !hasher_d.ok() || !hasher_q.ok() || !hasher_qp.ok()) {
    std::fprintf(stderr, "video: %s\n", hasher.status().ToString().c_str());
    return 2;
  }

  std::vector<SpeedRow> rows;
  for (const std::string& path : paths) {
    absl::StatusOr<VideoSignals> v = hasher->HashFile(path);  // also warms the page cache
    if (!v.ok() || v->decoded_frames < 2) continue;           // not a video
    SpeedRow r;
    r.name = name_of(path);
    r.codec = v->codec;
    r.width = v->width;
    r.height = v->height;
    r.fps = v->frame_rate;
    r.video_s = v->duration;
    r.decoded_frames = v->decoded_frames;
    r.samples = v->sampled;
    rows.push_back(std::move(r));
  }
  std::vector<std::string> kept;
  for (const std::string& path : paths) {
    for (const SpeedRow& r : rows) {
      if (name_of(path) == r.name) kept.push_back(path);
    }
  }
  if (rows.empty()) {
    std::fprintf(stderr, "video: no video files under %s\n", dir.c_str());
    return 2;
  }

  // Alternating rounds: every method on every file, then again.
  for (int round = 0; round < repeat; ++round) {
    for (size_t i = 0; i < rows.size(); ++i) {
      SpeedRow& r = rows[i];
      const std::string& path = kept[i];
      auto t0 = Clock::now();
      absl::StatusOr<BaselineResult> b = RunBaseline(path, interval);
      r.baseline.push_back(Seconds(t0, Clock::now()));
      if (!b.ok()) {
        std::fprintf(stderr, "video: baseline: %s\n", b.status().ToString().c_str());
        return 1;
      }
      r.baseline_decoded = b->decoded;
      r.baseline_hashed = b->hashed;

      t0 = Clock::now();
      absl::StatusOr<VideoSignals> v = hasher->HashFile(path);
      r.hasher.push_back(Seconds(t0, Clock::now()));
      if (!v.ok()) {
        std::fprintf(stderr, "video: %s\n", v.status().ToString().c_str());
        return 1;
      }
      t0 = Clock::now();
      v = hasher_d->HashFile(path);
      r.hasher_digests.push_back(Seconds(t0, Clock::now()));
      t0 = Clock::now();
      v = hasher_q->HashFile(path);
      r.hasher_query.push_back(Seconds(t0, Clock::now()));
      t0 = Clock::now();
      v = hasher_qp->HashFile(path);
      r.hasher_query_plain.push_back(Seconds(t0, Clock::now()));

      absl::StatusOr<double> d = RunDecodeOnly(path, options, false);
      if (d.ok()) r.decode.push_back(*d);
      d = RunDecodeOnly(path, options, true);
      if (d.ok()) r.decode_all.push_back(*d);
      absl::StatusOr<StageSplit> split = RunStageSplit(path, options);
      if (split.ok()) {
        r.border.push_back(split->border);
        r.pdq.push_back(split->pdq);
      }
    }
  }

  std::printf("Speed: one thread, sample interval %.3g s, medians of %d rounds\n\n", interval,
              repeat);
  std::printf(
      "| file | codec | size | fps | video s | hashwatch s | hashwatch x realtime | decode s | "
      "border s | PDQ s | + digests s | baseline s | baseline x realtime | hashwatch / baseline "
      "|\n");
  std::printf("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double tv = 0, th = 0, tb = 0, td = 0, tbo = 0, tp = 0, thd = 0;
  if (json)
    std::fprintf(json, "{\n  \"interval\": %g,\n  \"repeat\": %d,\n  \"speed\": [\n", interval,
                 repeat);
  for (size_t i = 0; i < rows.size(); ++i) {
    const SpeedRow& r = rows[i];
    const double h = Median(r.hasher), b = Median(r.baseline), d = Median(r.decode);
    const double bo = Median(r.border), p = Median(r.pdq), hd = Median(r.hasher_digests);
    tv += r.video_s;
    th += h;
    tb += b;
    td += d;
    tbo += bo;
    tp += p;
    thd += hd;
    std::printf(
        "| %s | %s | %dx%d | %.2f | %.1f | %.3f | %.0f | %.3f | %.4f | %.4f | %.3f | %.3f | %.1f | "
        "%.3f |\n",
        r.name.c_str(), r.codec.c_str(), r.width, r.height, r.fps, r.video_s, h, r.video_s / h, d,
        bo, p, hd, b, r.video_s / b, h / b);
    if (json) {
      std::fprintf(
          json,
          "    {\"file\": %s, \"codec\": %s, \"width\": %d, \"height\": %d, \"fps\": %g, "
          "\"video_seconds\": %g, \"decoded_frames\": %lld, \"samples\": %lld, "
          "\"hashwatch_seconds\": %g, \"hashwatch_with_digests_seconds\": %g, "
          "\"as_scan_seconds\": %g, \"as_scan_without_border_views_seconds\": %g, "
          "\"decode_seconds\": %g, \"decode_every_frame_seconds\": %g, "
          "\"border_seconds\": %g, \"pdq_seconds\": %g, \"baseline_seconds\": %g, "
          "\"baseline_decoded\": %lld, \"baseline_hashed\": %lld, "
          "\"ratio\": %g}%s\n",
          JsonString(r.name).c_str(), JsonString(r.codec).c_str(), r.width, r.height, r.fps,
          r.video_s, static_cast<long long>(r.decoded_frames), static_cast<long long>(r.samples), h,
          hd, Median(r.hasher_query), Median(r.hasher_query_plain), d, Median(r.decode_all), bo, p,
          b, static_cast<long long>(r.baseline_decoded), static_cast<long long>(r.baseline_hashed),
          h / b, i + 1 < rows.size() ? "," : "");
    }
  }
  std::printf(
      "| **total** | | | | %.1f | %.3f | %.0f | %.3f | %.4f | %.4f | %.3f | %.3f | %.1f | %.3f "
      "|\n",
      tv, th, tv / th, td, tbo, tp, thd, tb, tv / tb, th / tb);
  std::printf(
      "\nPer file (medians): frames decoded by each, samples hashed by each, hashwatch's\n"
      "decoder with its shortcuts off (decode_every_frame), and the hasher as `scan` runs it\n"
      "(dihedral variants and each kept frame's border view; no digests), also without the\n"
      "border views:\n\n");
  std::printf(
      "| file | hashwatch decoded | hashwatch samples | baseline decoded | baseline hashed | "
      "decode s (shortcuts) | decode s (every frame) | as scan s | as scan without border views s "
      "|\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double tq = 0, tqp = 0;
  for (const SpeedRow& r : rows) {
    tq += Median(r.hasher_query);
    tqp += Median(r.hasher_query_plain);
    std::printf("| %s | %lld | %lld | %lld | %lld | %.3f | %.3f | %.3f | %.3f |\n", r.name.c_str(),
                static_cast<long long>(r.decoded_frames), static_cast<long long>(r.samples),
                static_cast<long long>(r.baseline_decoded),
                static_cast<long long>(r.baseline_hashed), Median(r.decode), Median(r.decode_all),
                Median(r.hasher_query), Median(r.hasher_query_plain));
  }
  std::printf("| **total** | | | | | | | %.3f | %.3f |\n", tq, tqp);
  if (json) {
    std::fprintf(json,
                 "  ],\n  \"speed_total\": {\"video_seconds\": %g, \"hashwatch_seconds\": %g, "
                 "\"baseline_seconds\": %g, \"ratio\": %g}",
                 tv, th, tb, th / tb);
  }
  return 0;
}

// ---------------------------------------------------------------------------
// 2. Localisation
// ---------------------------------------------------------------------------

struct ManifestRow {
  std::string file, family;
  double query_start = 0, ref_start = 0, duration = 0;
  std::string expect, ref;
};

absl::StatusOr<std::vector<ManifestRow>> ReadManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<ManifestRow> rows;
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, '\t');) f.push_back(cell);
    if (f.size() < 7) return absl::InvalidArgumentError(absl::StrCat(path, ": bad row: ", line));
    rows.push_back({f[0], f[1], std::stod(f[2]), std::stod(f[3]), std::stod(f[4]), f[5], f[6]});
  }
  return rows;
}

struct FamilyStats {
  int rows = 0, match_rows = 0, found = 0, nomatch_rows = 0, error_rows = 0, errors_ok = 0;
  int unexpected_errors = 0, false_matches = 0, filler_matches = 0;
  // max(|query start error|, |ref start error|) of the nearest span on the
  // expected reference, for every row that has one (found or not).
  std::vector<double> start_errors;
  double seconds = 0;  // MatchFile wall time, summed over the family's files
};

int RunLocalisation(const std::string& edits, const std::string& refs, const std::string& filler,
                    const std::string& photos, bool frame_views, double view_interval,
                    std::FILE* json) {
  absl::StatusOr<std::vector<ManifestRow>> manifest = ReadManifest(edits + "/manifest.tsv");
  if (!manifest.ok()) {
    std::fprintf(stderr, "video: %s\n", manifest.status().ToString().c_str());
    return 2;
  }
  const std::string db = (std::filesystem::temp_directory_path() /
                          absl::StrCat("hashwatch-video-bench-", getpid(), ".db"))
                             .string();
  CatalogOptions options;
  // The references' frames store the enrolled photos' regions unless asked
  // not to (what they earn and cost, side by side in two runs).
  if (!frame_views) options.enrol_views = {};
  if (view_interval >= 0) options.reference_view_interval = view_interval;
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(db, options);
  if (!catalog.ok()) {
    std::fprintf(stderr, "video: %s\n", catalog.status().ToString().c_str());
    return 2;
  }
  auto cleanup = [&] {
    catalog->reset();
    std::error_code ec;
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
  };

  // Enrol every video under REFDIR, one case each.
  std::map<int64_t, std::string> ref_of_item;
  std::vector<std::string> ref_paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(refs, ec)) {
    if (e.is_regular_file() && LooksLikeVideoFile(e.path())) ref_paths.push_back(e.path().string());
  }
  std::sort(ref_paths.begin(), ref_paths.end());
  int64_t ref_frames = 0, ref_views = 0;
  const auto enrol_start = Clock::now();
  for (const std::string& p : ref_paths) {
    const std::string name = std::filesystem::path(p).filename().string();
    absl::StatusOr<EnrollResult> r = (*catalog)->EnrollFile(
        {.case_id = "ref-" + name, .label = name, .source_note = name, .operator_name = "bench"},
        p);
    if (!r.ok() || r->media != "video") continue;
    ref_of_item[r->item] = name;
    ref_frames += r->indexed_frames;
    ref_views += r->views;
  }
  const double enrol_s = Seconds(enrol_start, Clock::now());
  absl::StatusOr<CatalogStats> stats = (*catalog)->Stats();
  const int64_t indexed = stats.ok() ? stats->indexed_frames : -1;
  std::printf(
      "\nLocalisation: %zu references enrolled from %s (%lld indexed frames, %lld frame views "
      "stored, %lld codes in the frame index, %.1f s)\n\n",
      ref_of_item.size(), refs.c_str(), static_cast<long long>(ref_frames),
      static_cast<long long>(ref_views), static_cast<long long>(indexed), enrol_s);
  if (json) {
    std::fprintf(json,
                 ",\n  \"references\": {\"videos\": %zu, \"indexed_frames\": %lld, "
                 "\"frame_views\": %lld, \"frame_index_codes\": %lld, \"enrol_s\": %.3f}",
                 ref_of_item.size(), static_cast<long long>(ref_frames),
                 static_cast<long long>(ref_views), static_cast<long long>(indexed), enrol_s);
  }

  std::map<std::string, std::vector<const ManifestRow*>> by_file;
  std::vector<std::string> file_order;
  for (const ManifestRow& r : *manifest) {
    if (by_file[r.file].empty()) file_order.push_back(r.file);
    by_file[r.file].push_back(&r);
  }
  std::map<std::string, FamilyStats> families;
  std::vector<std::string> family_order;
  std::vector<std::string> details;
  for (const std::string& file : file_order) {
    const std::vector<const ManifestRow*>& rows = by_file[file];
    const auto t0 = Clock::now();
    absl::StatusOr<MatchResult> m = (*catalog)->MatchFile(edits + "/" + file);
    const double secs = Seconds(t0, Clock::now());
    std::set<std::string> expected_refs;
    for (const ManifestRow* r : rows) {
      if (r->expect == "match") expected_refs.insert(r->ref);
    }
    std::string matches_text;
    if (m.ok()) {
      for (const Match& x : m->matches) {
        const std::string ref = ref_of_item.count(x.item) ? ref_of_item[x.item] : "?";
        char buf[160];
        if (x.span.has_value()) {
          std::snprintf(buf, sizeof(buf), " %s q%.2f-%.2f r%.2f-%.2f d%d;", ref.c_str(),
                        x.span->query_start, x.span->query_end, x.span->ref_start, x.span->ref_end,
                        x.distance);
        } else {
          std::snprintf(buf, sizeof(buf), " %s d%d;", ref.c_str(), x.distance);
        }
        matches_text += buf;
      }
    } else {
      matches_text = " error: " + std::string(m.status().message());
    }
    details.push_back(absl::StrCat(file, ":", matches_text));

    // The file's false matches: to refs none of its rows expects (a match to
    // the filler's own reference is true, counted apart).
    const std::string& family = rows.front()->family;
    if (!families.count(family)) family_order.push_back(family);
    FamilyStats& fs = families[family];
    fs.seconds += secs;
    if (m.ok()) {
      for (const Match& x : m->matches) {
        const std::string ref = ref_of_item.count(x.item) ? ref_of_item[x.item] : "?";
        if (expected_refs.count(ref)) continue;
        if (!filler.empty() && ref == filler) {
          ++fs.filler_matches;
        } else {
          ++fs.false_matches;
        }
      }
    }
    for (const ManifestRow* r : rows) {
      FamilyStats& f = families[r->family];
      ++f.rows;
      if (r->expect == "error") {
        ++f.error_rows;
        if (!m.ok()) ++f.errors_ok;
        continue;
      }
      if (!m.ok()) {
        ++f.unexpected_errors;
        continue;
      }
      if (r->expect == "nomatch") {
        ++f.nomatch_rows;
        continue;
      }
      ++f.match_rows;
      // The span on the expected reference nearest to the manifest's.
      double best = 1e9;
      for (const Match& x : m->matches) {
        if (!ref_of_item.count(x.item) || ref_of_item[x.item] != r->ref || !x.span.has_value())
          continue;
        const double err = std::max(std::abs(x.span->query_start - r->query_start),
                                    std::abs(x.span->ref_start - r->ref_start));
        best = std::min(best, err);
      }
      if (best <= 1.0) ++f.found;
      if (best < 1e9) f.start_errors.push_back(best);  // also a span found off place
    }
  }

  std::printf(
      "| family | rows | expect | found | start error s (median / max) | false matches | "
      "filler matches | errors | match s |\n");
  std::printf("|---|---:|---|---:|---|---:|---:|---:|---:|\n");
  int total_rows = 0, total_found = 0, total_match = 0, total_false = 0;
  if (json) std::fprintf(json, ",\n  \"localisation\": [\n");
  for (size_t i = 0; i < family_order.size(); ++i) {
    const std::string& name = family_order[i];
    const FamilyStats& f = families[name];
    std::string expect = f.match_rows ? "match" : f.error_rows ? "error" : "nomatch";
    std::string found = f.match_rows ? absl::StrCat(f.found, "/", f.match_rows) : "-";
    char err[64] = "-";
    if (!f.start_errors.empty()) {
      std::snprintf(err, sizeof(err), "%.2f / %.2f", Median(f.start_errors),
                    *std::max_element(f.start_errors.begin(), f.start_errors.end()));
    }
    std::string errors = f.error_rows ? absl::StrCat(f.errors_ok, "/", f.error_rows, " (expected)")
                                      : absl::StrCat(f.unexpected_errors);
    std::printf("| %s | %d | %s | %s | %s | %d | %d | %s | %.2f |\n", name.c_str(), f.rows,
                expect.c_str(), found.c_str(), err, f.false_matches, f.filler_matches,
                errors.c_str(), f.seconds);
    total_rows += f.rows;
    total_found += f.found;
    total_match += f.match_rows;
    total_false += f.false_matches;
    if (json) {
      std::fprintf(json,
                   "    {\"family\": %s, \"rows\": %d, \"expect\": %s, \"match_rows\": %d, "
                   "\"found\": %d, \"start_error_median\": %g, \"false_matches\": %d, "
                   "\"filler_matches\": %d, \"error_rows\": %d, \"errors_as_expected\": %d, "
                   "\"unexpected_errors\": %d}%s\n",
                   JsonString(name).c_str(), f.rows, JsonString(expect).c_str(), f.match_rows,
                   f.found, Median(f.start_errors), f.false_matches, f.filler_matches, f.error_rows,
                   f.errors_ok, f.unexpected_errors, i + 1 < family_order.size() ? "," : "");
    }
  }
  if (json) std::fprintf(json, "  ]");
  std::printf("\nfound %d of %d spans; %d false matches over %d rows\n", total_found, total_match,
              total_false, total_rows);
  std::printf("\nMatches per file:\n");
  for (const std::string& d : details) std::printf("  %s\n", d.c_str());

  if (!photos.empty()) {
    int files = 0, matched = 0, errors = 0, low = 0;
    const auto t0 = Clock::now();
    for (const auto& e : std::filesystem::recursive_directory_iterator(photos, ec)) {
      if (!e.is_regular_file()) continue;
      const std::string ext = e.path().extension().string();
      if (ext == ".tsv" || ext == ".txt" || ext == ".md" || ext == ".json") continue;  // manifests
      absl::StatusOr<MatchResult> m = (*catalog)->MatchFile(e.path().string());
      ++files;
      if (!m.ok()) {
        ++errors;
        continue;
      }
      low += m->low_quality ? 1 : 0;
      if (!m->matches.empty()) {
        ++matched;
        std::printf("  photo false match: %s\n", e.path().c_str());
      }
    }
    std::printf(
        "\n| photos | files | low quality | false matches | errors | s |\n"
        "|---|---:|---:|---:|---:|---:|\n| %s | %d | %d | %d | %d | %.2f |\n",
        photos.c_str(), files, low, matched, errors, Seconds(t0, Clock::now()));
    if (json) {
      std::fprintf(json, ",\n  \"photos\": {\"files\": %d, \"false_matches\": %d, \"errors\": %d}",
                   files, matched, errors);
    }
  }
  cleanup();
  return 0;
}

// ---------------------------------------------------------------------------
// 3. Index scale
// ---------------------------------------------------------------------------

constexpr int kFramesPerItem = 600;
constexpr double kFrameStep = 0.25;

int RunIndexScale(size_t n, int query_frames, int repeat, int threads, uint64_t seed,
                  std::FILE* json) {
  std::printf(
      "\nIndex scale: %zu synthetic frames (items of %d frames at %.2f s), query of %d "
      "frames x 8 variants\n\n",
      n, kFramesPerItem, kFrameStep, query_frames);
  const size_t rss0 = ResidentBytes();
  // Codes as in `hashwatch-bench search`: PDQ-like bits, clusters of near
  // duplicates (which here play consecutive similar frames).
  auto t0 = Clock::now();
  const PdqLikeGenerator gen(seed);
  Rng rng{seed};
  std::vector<uint8_t> codes(n * kPdqCodeBytes);
  for (size_t i = 0; i < n;) {
    uint8_t* base = &codes[i * kPdqCodeBytes];
    gen.Base(rng, base);
    const size_t size = std::min<size_t>(PdqLikeGenerator::ClusterSize(rng), n - i);
    for (size_t v = 1; v < size; ++v) {
      PdqLikeGenerator::Perturb(rng, base, 2 + rng.Below(29), &codes[(i + v) * kPdqCodeBytes]);
    }
    i += size;
  }
  std::vector<int64_t> ids(n);
  for (size_t i = 0; i < n; ++i) ids[i] = static_cast<int64_t>(i) + 1;  // signal ids from 1
  const double gen_s = Seconds(t0, Clock::now());

  const size_t rss1 = ResidentBytes();
  catalog::CatalogIndexes indexes;  // the catalog's structures, the image index empty
  PdqIndex& index = indexes.frames;
  t0 = Clock::now();
  absl::Status s = index.Add(ids, codes);
  if (s.ok()) s = index.Compact();
  if (!s.ok()) {
    std::fprintf(stderr, "video: %s\n", s.ToString().c_str());
    return 1;
  }
  const double index_s = Seconds(t0, Clock::now());
  const size_t rss2 = ResidentBytes();
  catalog::FrameDirectory& directory = indexes.frame_directory;
  t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) {
    const int64_t id = ids[i];
    const double start = static_cast<double>(id % kFramesPerItem) * kFrameStep;
    s = directory.Set(
        id, {.item = id / kFramesPerItem + 1, .start = start, .end = start, .samples = 1});
    if (!s.ok()) {
      std::fprintf(stderr, "video: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  const double dir_s = Seconds(t0, Clock::now());
  const size_t rss3 = ResidentBytes();

  // The query: query_frames frames at 1 s, each with 8 variants. Frames
  // 100..249 are a copy of one indexed item (its frames at 0, 1, 2, ... s,
  // each 0..8 bits off) so the alignment has a real span to find; every
  // other code is a fresh PDQ-like hash.
  const int64_t planted_item = static_cast<int64_t>(n / kFramesPerItem / 2) + 1;
  const int planted_from = std::min(100, query_frames / 4);
  const int planted_len = std::min(150, query_frames - planted_from);
  std::vector<Signal> signals(query_frames);
  for (int f = 0; f < query_frames; ++f) {
    Signal& sig = signals[f];
    sig.type = "pdq";
    sig.quality = 80;
    sig.variants.assign(kDihedralCount, std::vector<uint8_t>(kPdqCodeBytes));
    for (int v = 0; v < kDihedralCount; ++v) gen.Base(rng, sig.variants[v].data());
    const int j = f - planted_from;
    if (j >= 0 && j < planted_len) {
      const int64_t id = (planted_item - 1) * kFramesPerItem + 4 * j;  // start j seconds
      if (id >= 1 && static_cast<size_t>(id) <= n) {
        PdqLikeGenerator::Perturb(rng, &codes[(id - 1) * kPdqCodeBytes], rng.Below(9),
                                  sig.variants[0].data());
      }
    }
    sig.hash = sig.variants[0];
  }
  std::vector<match::QueryFrame> frames(query_frames);
  for (int f = 0; f < query_frames; ++f) {
    frames[f] = {.start = static_cast<double>(f),
                 .end = static_cast<double>(f),
                 .samples = 1,
                 .pdq = &signals[f]};
  }
  const catalog::CatalogCandidates live(indexes, /*directory=*/nullptr);
  const match::FrameMatchOptions options;

  auto check = [&](const std::vector<Match>& matches) {
    for (const Match& m : matches) {
      if (m.item == planted_item && m.span.has_value() &&
          std::abs(m.span->query_start - planted_from) <= 1 && std::abs(m.span->ref_start) <= 1)
        return true;
    }
    return false;
  };

  // (a) one thread: MatchFrames straight on the index.
  std::vector<double> one, two, one_cpu, two_cpu;
  size_t hits = 0, matches_count = 0;
  bool found1 = true, found2 = true;
  for (int r = 0; r < repeat; ++r) {
    double cpu0 = ProcessCpuSeconds();
    t0 = Clock::now();
    std::vector<Match> m = match::MatchFrames(frames, true, live, options);
    one.push_back(Seconds(t0, Clock::now()));
    one_cpu.push_back(ProcessCpuSeconds() - cpu0);
    cpu0 = ProcessCpuSeconds();
    found1 &= check(m);
    matches_count = m.size();

    // (b) the same call with MatchOptions::search_threads = `threads`: the
    // frames' searches shared among threads, then the alignment.
    match::FrameMatchOptions parallel = options;
    parallel.match.search_threads = threads;
    t0 = Clock::now();
    m = match::MatchFrames(frames, true, live, parallel);
    two.push_back(Seconds(t0, Clock::now()));
    two_cpu.push_back(ProcessCpuSeconds() - cpu0);
    found2 &= check(m);
  }
  {
    // Candidate hits per query (what the alignment works through).
    std::vector<match::Candidate> found;
    for (const Signal& sig : signals) {
      for (const auto& v : sig.variants) live.Search(v.data(), options.match.threshold, &found);
    }
    hits = found.size();
  }
  const double mb = 1.0 / (1 << 20);
  std::printf("| | value |\n|---|---:|\n");
  std::printf("| frames in the index | %zu (%lld items) |\n", n,
              static_cast<long long>(n / kFramesPerItem + 1));
  std::printf("| synthetic codes generated | %.1f s |\n", gen_s);
  std::printf("| PdqIndex build (Add + Compact) | %.2f s |\n", index_s);
  std::printf("| FrameDirectory fill | %.2f s |\n", dir_s);
  std::printf("| PdqIndex MemoryBytes | %.0f MiB (%.1f B/frame) |\n", index.MemoryBytes() * mb,
              static_cast<double>(index.MemoryBytes()) / n);
  std::printf("| RSS: codes / index / directory | %.0f / %.0f / %.0f MiB |\n", (rss1 - rss0) * mb,
              (rss2 - rss1) * mb, (rss3 - rss2) * mb);
  std::printf("| peak RSS (process) | %.0f MiB |\n", PeakResidentBytes() * mb);
  std::printf("| searches per query (radius 31) | %zu |\n",
              static_cast<size_t>(query_frames) * kDihedralCount);
  std::printf("| candidate hits per query | %zu |\n", hits);
  std::printf("| matches (planted item found at the right place) | %zu (%s) |\n", matches_count,
              found1 && found2 ? "yes" : "NO");
  std::printf("| query, 1 thread, MatchFrames on the index (median of %d) | %.3f s |\n", repeat,
              Median(one));
  std::printf("| query, MatchOptions::search_threads = %d (median of %d) | %.3f s |\n", threads,
              repeat, Median(two));
  std::printf("| CPU seconds per query (all threads), 1 thread / %d threads | %.3f / %.3f s |\n",
              threads, Median(one_cpu), Median(two_cpu));
  std::printf("| all query times, 1 thread | ");
  for (double x : one) std::printf("%.3f ", x);
  std::printf("|\n| all query times, %d threads | ", threads);
  for (double x : two) std::printf("%.3f ", x);
  std::printf("|\n");
  if (json) {
    std::fprintf(json,
                 ",\n  \"index\": {\"frames\": %zu, \"build_seconds\": %g, \"directory_seconds\": "
                 "%g, \"index_bytes\": %zu, \"rss_index_bytes\": %zu, \"rss_directory_bytes\": "
                 "%zu, \"searches\": %d, \"hits\": %zu, \"found\": %s, \"query_1thread_seconds\": "
                 "%g, \"query_seconds\": %g, \"query_threads\": %d, "
                 "\"query_cpu_seconds_1thread\": %g, "
                 "\"query_cpu_seconds\": %g}",
                 n, index_s, dir_s, index.MemoryBytes(), rss2 - rss1, rss3 - rss2,
                 query_frames * kDihedralCount, hits, found1 && found2 ? "true" : "false",
                 Median(one), Median(two), threads, Median(one_cpu), Median(two_cpu));
  }
  return found1 && found2 ? 0 : 1;
}

}  // namespace

int RunVideoBench(int argc, char** argv) {
  CLI::App app{
      "Video: (1) VideoHasher speed on one thread against a vPDQ-style baseline "
      "(every frame decoded, every floor(interval*fps)-th hashed at full size); "
      "(2) with --edits/--refs, localisation of edited copies; (3) with "
      "--index-frames, matching a 10-minute query over N synthetic frames.",
      "hashwatch-bench video"};
  std::string dir, json_path, edits, refs, filler, photos;
  double interval = 1.0;
  int repeat = 3, query_frames = 600, threads = 2;
  size_t index_frames = 0;
  uint64_t seed = 1;
  bool no_speed = false;
  bool no_frame_views = false;
  double frame_view_interval = -1;
  app.add_option("DIR", dir, "Videos to time (recursively; non-videos skipped)");
  app.add_option("--interval", interval, "Seconds between samples (both pipelines)")
      ->check(CLI::PositiveNumber);
  app.add_option("--repeat", repeat, "Rounds; medians are reported")->check(CLI::Range(1, 1000));
  app.add_option("--json", json_path, "Also write the results as JSON here");
  app.add_option("--edits", edits, "Directory from testdata/make_video_edits.sh (manifest.tsv)");
  app.add_option("--refs", refs, "References the edits were made from (enrolled)");
  app.add_option("--filler", filler,
                 "File name under --refs of the UNRELATED clip the edits were made with: "
                 "matches to it are true and counted apart");
  app.add_option("--photos", photos, "Unrelated photos to scan against the references");
  app.add_option("--index-frames", index_frames, "Synthetic frames in the index-scale test");
  app.add_option("--query-frames", query_frames, "Frames of the index-scale query (1 s apart)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--threads", threads, "Threads searching in the index-scale test")
      ->check(CLI::Range(1, 64));
  app.add_option("--seed", seed, "Seed of the synthetic data");
  app.add_flag("--no-speed", no_speed, "Skip the speed part");
  app.add_flag("--no-frame-views", no_frame_views,
               "Localisation: enrol the references without their frames' stored regions "
               "(CatalogOptions::enrol_views), to see what they earn and cost");
  app.add_option("--frame-view-interval", frame_view_interval,
                 "Localisation: seconds between the reference frames that store regions "
                 "(CatalogOptions::reference_view_interval; default: the catalog's)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (dir.empty() && !no_speed) {
    std::fprintf(stderr, "video: DIR is required unless --no-speed\n");
    return 2;
  }
  if (edits.empty() != refs.empty()) {
    std::fprintf(stderr, "video: --edits and --refs go together\n");
    return 2;
  }
  std::FILE* json = nullptr;
  if (!json_path.empty()) {
    json = std::fopen(json_path.c_str(), "w");
    if (json == nullptr) {
      std::fprintf(stderr, "video: cannot write %s\n", json_path.c_str());
      return 2;
    }
  }
  int rc = 0;
  if (!no_speed) {
    rc = std::max(rc, RunSpeed(dir, interval, repeat, json));
  } else if (json) {
    std::fprintf(json, "{\n  \"interval\": %g", interval);
  }
  if (rc == 0 && !edits.empty())
    rc = std::max(rc, RunLocalisation(edits, refs, filler, photos, !no_frame_views,
                                      frame_view_interval, json));
  if (rc == 0 && index_frames > 0) {
    rc = std::max(rc, RunIndexScale(index_frames, query_frames, repeat, threads, seed, json));
  }
  if (json) {
    std::fprintf(json, "\n}\n");
    std::fclose(json);
  }
  return rc;
}

}  // namespace hashwatch::bench
