// libFuzzer target: arbitrary bytes through the video pipeline, as
// VideoHasher::HashBytes sees them (custom AVIO reader over the bytes,
// libavformat probing every demuxer, libavcodec, frame sampling, border
// detection, PDQ with dihedral variants, digests). Any crash, hang or
// sanitizer report is a bug: crawled files are hostile. A per-input error
// ("not a supported image or video", a limit, damage) is the expected answer.
//
// Limits are small so that each input stays fast (the limits themselves are
// tested elsewhere): 2 MP a frame, 20 s of timeline, 200 decoded frames and
// 2 s of decoding wall-clock time. With coverage instrumentation PDQ costs
// ~0.25 s a sample at 640x360, so the seeds are tiny clips
// (testdata/fuzz_seeds/video: 2 s, 96x72, one per container and codec).
//
// Build and run: scripts/fuzz.sh (docs/reliability.md, "Fuzzing"), or
//   build-fuzz/bin/video_decoder_fuzzer -max_len=65536 CORPUS testdata/fuzz_seeds/video
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "hashwatch/video_hasher.h"

namespace {

// A broken promise of the API: reported like a crash, with the reason.
void Check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "video_decoder_fuzzer: broken invariant: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const hashwatch::VideoHasher hasher = [] {
    hashwatch::VideoOptions options;
    options.variants = true;  // as a query is hashed (Catalog::Open's query hasher)
    options.border_window = 30;
    options.digests = {"md5"};
    options.limits.max_pixels = 2'000'000;
    options.limits.max_video_seconds = 20;
    options.limits.max_video_frames = 200;
    options.limits.max_decode_seconds = 2;
    absl::StatusOr<hashwatch::VideoHasher> created = hashwatch::VideoHasher::Create(options);
    Check(created.ok(), "VideoHasher::Create with the fuzzer's options");
    return *std::move(created);
  }();
  absl::StatusOr<hashwatch::VideoSignals> signals =
      hasher.HashBytes(absl::MakeConstSpan(data, size));
  if (signals.ok()) {
    // What a caller relies on: every kept frame lies on the timeline in
    // order, and the crop lies inside the frame.
    for (const hashwatch::VideoFrame& frame : signals->frames) {
      Check(frame.start <= frame.end, "a frame's start <= its end");
      Check(frame.samples >= 1, "a frame stands for at least one sample");
    }
    const hashwatch::VideoSignals& v = *signals;
    Check(v.crop_x >= 0 && v.crop_y >= 0 && v.crop_width >= 0 && v.crop_height >= 0 &&
              v.crop_x + v.crop_width <= v.width && v.crop_y + v.crop_height <= v.height,
          "the crop lies inside the frame");
  }
  return 0;
}
