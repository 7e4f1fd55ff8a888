#include "media/video_decoder.h"

#include <catch2/catch.hpp>
#include <vector>

#include "test_support.h"
#include "video_test_support.h"

namespace hashwatch::media {
namespace {

using hashwatch::testing::Ffmpeg;
using hashwatch::testing::ReadFileBytes;
using hashwatch::testing::TempDir;
using hashwatch::testing::VideoDir;

struct Decoded {
  absl::Status status;
  VideoInfo info;
  std::vector<SampledFrame> frames;
};

Decoded Decode(const std::filesystem::path& path, VideoDecodeOptions options = {}) {
  Decoded d;
  absl::StatusOr<RegularFile> file = RegularFile::Open(path, options.limits.max_video_bytes);
  if (!file.ok()) {
    d.status = file.status();
    return d;
  }
  d.status = DecodeVideo(
      {.file = &*file, .bytes = {}}, options,
      [&](SampledFrame&& f) {
        d.frames.push_back(std::move(f));
        return absl::OkStatus();
      },
      &d.info);
  return d;
}

TEST_CASE("Frames are sampled by time: one per second, the frame on screen at each moment",
          "[video][decoder]") {
  const Decoded d = Decode(VideoDir() / "street_vtest.mp4");  // 10 fps, 20 s
  REQUIRE(d.status.ok());
  CHECK(d.info.codec == "h264");
  CHECK(d.info.width == 480);
  CHECK(d.info.height == 360);
  CHECK(d.info.duration == Approx(20).margin(0.2));
  REQUIRE(d.frames.size() >= 20);
  for (size_t k = 0; k < d.frames.size(); ++k) {
    CHECK(d.frames[k].time == Approx(static_cast<double>(k)));
    // At 10 fps the frame shown at second k is frame 10k.
    CHECK(d.frames[k].frame_number == static_cast<int64_t>(10 * k));
    CHECK(d.frames[k].luma.type() == CV_8UC1);
    CHECK(std::min(d.frames[k].luma.cols, d.frames[k].luma.rows) <= 256);
  }
}

TEST_CASE("The decoding shortcuts choose the same frames as decoding every frame",
          "[video][decoder]") {
  VideoDecodeOptions every;
  every.decode_every_frame = true;
  for (const char* name : {"street_vtest.mp4", "cockatoo.mp4", "gnome_screencast.webm"}) {
    INFO(name);
    const Decoded fast = Decode(VideoDir() / name);
    const Decoded full = Decode(VideoDir() / name, every);
    REQUIRE(fast.status.ok());
    REQUIRE(full.status.ok());
    REQUIRE(fast.frames.size() == full.frames.size());
    for (size_t k = 0; k < fast.frames.size(); ++k) {
      CHECK(std::abs(fast.frames[k].frame_time - full.frames[k].frame_time) < 0.11);
      // And the same picture: no frame is built on a reference that was skipped.
      cv::Mat a, b;
      fast.frames[k].luma.convertTo(a, CV_32F);
      full.frames[k].luma.convertTo(b, CV_32F);
      REQUIRE(a.size() == b.size());
      CHECK(cv::norm(a, b, cv::NORM_L1) / static_cast<double>(a.total()) < 6);
    }
    CHECK(fast.info.decoded_frames <= full.info.decoded_frames);
  }
}

TEST_CASE("Another frame rate samples the same moments", "[video][decoder]") {
  TempDir dir;
  Ffmpeg("-i " + hashwatch::testing::ShellQuote(VideoDir() / "cockatoo.mp4") +
             " -an -r 15 -c:v libx264 -preset veryfast",
         dir.path() / "15fps.mp4");
  const Decoded a = Decode(VideoDir() / "cockatoo.mp4");  // 20 fps
  const Decoded b = Decode(dir.path() / "15fps.mp4");
  REQUIRE(a.status.ok());
  REQUIRE(b.status.ok());
  // The last moment may fall either side of a re-encoded file's end.
  REQUIRE(std::abs(static_cast<int>(a.frames.size()) - static_cast<int>(b.frames.size())) <= 1);
  for (size_t k = 0; k < std::min(a.frames.size(), b.frames.size()); ++k) {
    CHECK(a.frames[k].time == b.frames[k].time);
    CHECK(std::abs(a.frames[k].frame_time - b.frames[k].frame_time) <= 1.0 / 15 + 1e-6);
  }
}

TEST_CASE("Bytes in memory decode like the file", "[video][decoder]") {
  const std::vector<uint8_t> bytes = ReadFileBytes(VideoDir() / "tree.mp4");
  Decoded m;
  m.status = DecodeVideo(
      {.file = nullptr, .bytes = bytes}, {},
      [&](SampledFrame&& f) {
        m.frames.push_back(std::move(f));
        return absl::OkStatus();
      },
      &m.info);
  const Decoded f = Decode(VideoDir() / "tree.mp4");
  REQUIRE(m.status.ok());
  REQUIRE(m.frames.size() == f.frames.size());
  for (size_t k = 0; k < m.frames.size(); ++k) {
    CHECK(cv::norm(m.frames[k].luma, f.frames[k].luma, cv::NORM_INF) == 0);
  }
}

TEST_CASE("Rotation metadata turns the frames upright, as FFmpeg's own autorotation does",
          "[video][decoder]") {
  TempDir dir;
  Ffmpeg("-i " + hashwatch::testing::ShellQuote(VideoDir() / "street_vtest.mp4") +
             " -c copy -metadata:s:v:0 rotate=90",
         dir.path() / "rotated.mp4");
  // The ffmpeg command applies the display matrix when it re-encodes.
  Ffmpeg("-i " + hashwatch::testing::ShellQuote(dir.path() / "rotated.mp4") +
             " -c:v libx264 -preset veryfast",
         dir.path() / "upright.mp4");
  const Decoded d = Decode(dir.path() / "rotated.mp4");
  const Decoded u = Decode(dir.path() / "upright.mp4");
  REQUIRE(d.status.ok());
  REQUIRE(u.status.ok());
  CHECK(d.info.rotation != 0);
  CHECK(d.info.width == 360);
  CHECK(d.info.height == 480);
  CHECK(u.info.rotation == 0);
  REQUIRE(d.frames.size() >= 5);
  REQUIRE(u.frames.size() >= 5);
  for (size_t k = 0; k < 5; ++k) {
    REQUIRE(d.frames[k].luma.size() == u.frames[k].luma.size());
    cv::Mat a, b;
    d.frames[k].luma.convertTo(a, CV_32F);
    u.frames[k].luma.convertTo(b, CV_32F);
    // Same picture (up to re-encoding), not a quarter turn of it.
    CHECK(cv::norm(a, b, cv::NORM_L1) / a.total() < 8);
  }
}

TEST_CASE("Broken and hostile videos are per-file errors with the reason", "[video][decoder]") {
  TempDir dir;
  hashwatch::testing::WriteFileBytes(dir.path() / "empty", {});
  CHECK(Decode(dir.path() / "empty").status.code() == absl::StatusCode::kInvalidArgument);

  std::vector<uint8_t> noise(100000);
  for (size_t i = 0; i < noise.size(); ++i)
    noise[i] = static_cast<uint8_t>((i * 2654435761u) >> 13);
  hashwatch::testing::WriteFileBytes(dir.path() / "noise", noise);
  const Decoded n = Decode(dir.path() / "noise");
  CHECK(n.status.code() == absl::StatusCode::kInvalidArgument);

  Ffmpeg("-f lavfi -i sine=frequency=440:duration=2 -c:a aac", dir.path() / "tone.m4a");
  const Decoded a = Decode(dir.path() / "tone.m4a");
  CHECK(a.status.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(a.status.message()), Catch::Contains("audio only"));

  VideoDecodeOptions short_limit;
  short_limit.limits.max_video_seconds = 5;
  const Decoded l = Decode(VideoDir() / "street_vtest.mp4", short_limit);
  CHECK(l.status.code() == absl::StatusCode::kOutOfRange);
  CHECK_THAT(std::string(l.status.message()), Catch::Contains("limit"));

  VideoDecodeOptions small_frames;
  small_frames.limits.max_pixels = 100 * 100;
  CHECK(Decode(VideoDir() / "street_vtest.mp4", small_frames).status.code() ==
        absl::StatusCode::kOutOfRange);

  VideoDecodeOptions few_frames;
  few_frames.limits.max_video_frames = 30;
  CHECK(Decode(VideoDir() / "street_vtest.mp4", few_frames).status.code() ==
        absl::StatusCode::kOutOfRange);
}

TEST_CASE("A stream that grows its frames part-way is stopped at the pixel limit",
          "[video][decoder]") {
  TempDir dir;
  // 2 s at 160x120, then 2 s at 1280x960, in one MPEG-TS stream (which
  // allows a size change); the header announces the small size.
  Ffmpeg("-f lavfi -i testsrc2=size=160x120:rate=10:duration=2 -c:v mpeg2video -f mpegts",
         dir.path() / "small.ts");
  Ffmpeg("-f lavfi -i testsrc2=size=1280x960:rate=10:duration=2 -c:v mpeg2video -f mpegts",
         dir.path() / "large.ts");
  std::vector<uint8_t> both = ReadFileBytes(dir.path() / "small.ts");
  const std::vector<uint8_t> large = ReadFileBytes(dir.path() / "large.ts");
  both.insert(both.end(), large.begin(), large.end());
  hashwatch::testing::WriteFileBytes(dir.path() / "grows.ts", both);
  VideoDecodeOptions small_frames;
  small_frames.limits.max_pixels = 200 * 200;
  const Decoded d = Decode(dir.path() / "grows.ts", small_frames);
  CHECK(d.status.code() == absl::StatusCode::kOutOfRange);
  CHECK_THAT(std::string(d.status.message()), Catch::Contains("1280x960"));
  // Within the limit, the same file decodes.
  CHECK(Decode(dir.path() / "grows.ts").status.ok());
}

TEST_CASE("A truncated video gives the frames before the cut", "[video][decoder]") {
  TempDir dir;
  std::vector<uint8_t> bytes = ReadFileBytes(VideoDir() / "street_vtest.mp4");
  bytes.resize(bytes.size() * 2 / 5);
  hashwatch::testing::WriteFileBytes(dir.path() / "cut.mp4", bytes);
  const Decoded d = Decode(dir.path() / "cut.mp4");
  REQUIRE(d.status.ok());
  CHECK(d.frames.size() >= 3);
  CHECK(d.info.duration < 15);
  CHECK(d.info.header_duration == Approx(20).margin(0.2));
}

}  // namespace
}  // namespace hashwatch::media
