// hashwatch hash: print the signals of image files.
#include <cmath>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "commands.h"
#include "common_options.h"
#include "hashwatch/media_hasher.h"
#include "hashwatch/signal_type.h"
#include "input_batch.h"
#include "record_writer.h"

namespace hashwatch::cli {
namespace {

struct HashArgs {
  std::string signals = "pdq";
  double interval = 1.0;
  bool keep_borders = false;
  bool views = false;
  OutputFormat format = OutputFormat::kJsonl;
  int jobs = DefaultJobs();
  DecodeLimits limits;
  std::vector<std::string> paths;
};

void AddSignal(Record& r, const Signal& s) {
  r[s.type] = FindSignalType(s.type)->Format(s.hash);
  if (s.quality >= 0) r[s.type + "_quality"] = s.quality;
}

Record VideoRecord(const VideoSignals& v) {
  Record r;
  r["media"] = "video";
  r["width"] = v.width;
  r["height"] = v.height;
  r["duration"] = std::round(v.duration * 1000) / 1000;
  r["container"] = v.container;
  r["codec"] = v.codec;
  if (v.rotation != 0) r["rotation"] = v.rotation;
  if (v.cropped()) {
    r["crop"] = {
        {"x", v.crop_x}, {"y", v.crop_y}, {"width", v.crop_width}, {"height", v.crop_height}};
  }
  r["interval"] = v.sample_interval;
  r["samples"] = v.sampled;
  const SignalType* pdq = FindSignalType("pdq");
  r["frames"] = Record::array();
  for (const VideoFrame& f : v.frames) {
    Record fr;
    fr["t"] = f.start;
    if (f.end > f.start) fr["end"] = f.end;
    fr["pdq"] = pdq->Format(f.pdq.hash);
    fr["quality"] = f.pdq.quality;
    r["frames"].push_back(std::move(fr));
  }
  for (const Signal& s : v.digests) AddSignal(r, s);
  if (v.corrupt_packets > 0) r["corrupt_packets"] = v.corrupt_packets;
  if (v.truncated) r["truncated"] = true;
  if (!v.warnings.empty()) r["warnings"] = v.warnings;
  return r;
}

Record SignalsRecord(const std::string& path, const absl::StatusOr<MediaSignals>& result) {
  Record r;
  r["path"] = path;
  if (!result.ok()) {
    r["error"] = std::string(result.status().message());
    return r;
  }
  if (result->kind == MediaKind::kVideo) {
    r.update(VideoRecord(result->video));
    return r;
  }
  r["width"] = result->image.width;
  r["height"] = result->image.height;
  for (const Signal& s : result->image.signals) AddSignal(r, s);
  if (!result->image.views.empty()) {
    r["views"] = Record::array();
    for (const ImageView& v : result->image.views) {
      Record vr;
      vr["kind"] = v.kind;
      vr["x"] = v.x;
      vr["y"] = v.y;
      vr["width"] = v.width;
      vr["height"] = v.height;
      if (v.kind == "rotated") vr["rotation"] = v.rotation;
      vr["pdq"] = std::string(FindSignalType("pdq")->Format(v.pdq.hash));
      vr["quality"] = v.pdq.quality;
      r["views"].push_back(vr);
    }
  }
  return r;
}

int RunHash(const HashArgs& args) {
  HashOptions options;
  options.signals = absl::StrSplit(args.signals, ',', absl::SkipWhitespace());
  options.limits = args.limits;
  options.views = {
      .border = args.views, .canvas = args.views, .regions = false, .rotations = args.views};
  VideoOptions video;
  video.sample_interval = args.interval;
  video.remove_borders = !args.keep_borders;
  video.limits = args.limits;
  // A video always carries its exact signals (StopNCII and platforms share
  // video MD5s); --signals chooses the images' signals.
  video.digests = {"sha256", "md5"};
  absl::StatusOr<MediaHasher> hasher = MediaHasher::Create(options, video);
  if (!hasher.ok()) {
    std::fprintf(stderr, "hashwatch hash: %s\n", std::string(hasher.status().message()).c_str());
    return kExitUsage;
  }
  std::vector<std::string> columns = {"path", "media", "width", "height", "duration"};
  for (const std::string& name : options.signals) {
    columns.push_back(name);
    if (FindSignalType(name)->has_quality()) columns.push_back(name + "_quality");
  }
  columns.push_back("error");
  RecordWriter writer(args.format, columns);
  size_t failed = 0;
  const int stopped = RunInputBatch<absl::StatusOr<MediaSignals>>(
      "hash", args.paths, args.jobs,
      [&](const InputPath& input) -> absl::StatusOr<MediaSignals> {
        if (!input.error.empty()) return absl::NotFoundError(input.error);
        return hasher->HashFile(input.path);
      },
      [&](const InputPath& input, absl::StatusOr<MediaSignals>&& result) {
        if (!result.ok()) ++failed;
        writer.Write(SignalsRecord(input.path, result));
        return result.ok();
      });
  if (stopped != 0) return StoppedExitCode(stopped);
  return failed == 0 ? kExitOk : kExitSomeFailed;
}

}  // namespace

void RegisterHashCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<HashArgs>();
  CLI::App* cmd =
      app.add_subcommand("hash", "Print the perceptual hashes and digests of images and videos");
  cmd->footer(
      "Files are recognised by content, not name: JPEG, PNG, WebP, BMP, TIFF and GIF\n"
      "(first frame) are images; anything else FFmpeg decodes is a video. EXIF\n"
      "orientation and video rotation are applied; alpha is composited over black.\n"
      "One record per input, in input order: {\"path\", \"width\", \"height\", \"pdq\",\n"
      "\"pdq_quality\", ...}, or {\"path\", \"error\"} for a file that could not be hashed;\n"
      "the others go on. PDQ quality below 50 means too little structure to match on.\n"
      "A video gives {\"path\", \"media\": \"video\", \"duration\", \"frames\": [{\"t\",\n"
      "\"pdq\", \"quality\"}, ...], \"sha256\", \"md5\", ...}: a frame every --interval\n"
      "seconds of its timeline after borders are removed (\"crop\"), runs of\n"
      "near-identical frames kept once (\"end\" = the run's last moment). A damaged\n"
      "video gives the frames before the damage, with \"truncated\" and \"warnings\".\n"
      "A video always carries its sha256 and md5; --signals chooses an image's.\n"
      "With --format csv a video is one row without its frames.\n"
      "Exit status: 0 all inputs hashed, 1 some failed, 2 usage or fatal error.\n"
      "Details: docs/hashing.md");
  cmd->add_option("--signals", args->signals,
                  "Comma-separated signal types: pdq (256-bit PDQ + quality), phash (64-bit DCT "
                  "pHash), sha256, md5")
      ->capture_default_str();
  cmd->add_option("--interval", args->interval,
                  "Videos: seconds of the timeline between sampled frames (0: every frame)")
      ->check(FiniteRange(0.0, 3600.0))
      ->capture_default_str();
  cmd->add_flag("--views", args->views,
                "Images: also hash the picture inside borders, pictures inside a screenshot and "
                "the image turned back by a few degrees, as a scan looks at a photo (\"views\": "
                "kind, rectangle, pdq, quality)");
  cmd->add_flag("--keep-borders", args->keep_borders,
                "Videos: hash whole frames (do not remove letterbox bars or blurred fills)");
  AddFormatOption(cmd, args->format, /*allow_table=*/false);
  AddJobsOption(cmd, args->jobs);
  AddLimitOptions(cmd, args->limits);
  AddPathsOption(cmd, args->paths);
  cmd->callback([args, &exit_code] { exit_code = RunHash(*args); });
}

}  // namespace hashwatch::cli
