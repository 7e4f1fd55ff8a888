#include "hashwatch/video_hasher.h"

#include <catch2/catch.hpp>

#include "hashwatch/media_hasher.h"
#include "hashwatch/signal_type.h"
#include "test_support.h"
#include "video_test_support.h"

namespace hashwatch {
namespace {

using testing::Ffmpeg;
using testing::ShellQuote;
using testing::TempDir;
using testing::VideoDir;

int Distance(const Signal& a, const Signal& b) {
  return FindSignalType("pdq")->Distance(a.hash, b.hash);
}

// The frame of `v` whose run covers moment t.
const VideoFrame& At(const VideoSignals& v, double t) {
  for (const VideoFrame& f : v.frames) {
    if (f.start <= t + 1e-6 && t <= f.end + 1e-6) return f;
  }
  FAIL("no frame at " << t);
  return v.frames.front();
}

TEST_CASE("A video's signals: frames with times and quality, SHA-256 and MD5 of the file",
          "[video][hasher]") {
  absl::StatusOr<VideoHasher> hasher = VideoHasher::Create({});
  REQUIRE(hasher.ok());
  absl::StatusOr<VideoSignals> v = hasher->HashFile(VideoDir() / "street_vtest.mp4");
  REQUIRE(v.ok());
  CHECK(v->duration == Approx(20).margin(0.2));
  CHECK(v->sampled == 20);
  CHECK(!v->frames.empty());
  for (const VideoFrame& f : v->frames) {
    CHECK(f.pdq.hash.size() == 32);
    CHECK(f.pdq.quality >= 50);
  }
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(VideoDir() / "street_vtest.mp4");
  const Signal sha = *FindSignalType("sha256")->Compute({.bytes = bytes});
  const Signal md5 = *FindSignalType("md5")->Compute({.bytes = bytes});
  REQUIRE(v->FindDigest("sha256") != nullptr);
  CHECK(v->FindDigest("sha256")->hash == sha.hash);
  CHECK(v->FindDigest("md5")->hash == md5.hash);
  // From memory: the same signals.
  absl::StatusOr<VideoSignals> m = hasher->HashBytes(bytes);
  REQUIRE(m.ok());
  REQUIRE(m->frames.size() == v->frames.size());
  for (size_t i = 0; i < m->frames.size(); ++i)
    CHECK(m->frames[i].pdq.hash == v->frames[i].pdq.hash);
}

TEST_CASE("A still shown for seconds is one frame with a start and an end", "[video][hasher]") {
  TempDir dir;
  Ffmpeg("-loop 1 -framerate 25 -i " + ShellQuote(testing::TestdataDir() / "known/coffee.jpg") +
             " -t 6 -vf scale=480:-2 -c:v libx264 -pix_fmt yuv420p",
         dir.path() / "still.mp4");
  absl::StatusOr<VideoSignals> v = VideoHasher::Create({})->HashFile(dir.path() / "still.mp4");
  REQUIRE(v.ok());
  REQUIRE(v->frames.size() == 1);
  CHECK(v->frames[0].start == 0);
  CHECK(v->frames[0].end == Approx(5));
  CHECK(v->frames[0].samples == 6);
}

TEST_CASE("Letterbox bars and a blurred vertical fill are removed before hashing",
          "[video][hasher][border]") {
  TempDir dir;
  const std::string src = ShellQuote(VideoDir() / "cockatoo.mp4");  // 640x360
  Ffmpeg("-i " + src + " -an -vf pad=640:480:0:60:black -c:v libx264 -preset veryfast",
         dir.path() / "letterbox.mp4");
  Ffmpeg("-i " + src +
             " -an -filter_complex \"[0:v]split[a][b];[a]scale=360:640:force_original_aspect_ratio="
             "increase,crop=360:640,boxblur=20[bg];[b]scale=360:-2[fg];[bg][fg]overlay=0:(H-h)/2\" "
             "-c:v libx264 -preset veryfast",
         dir.path() / "vertical.mp4");
  absl::StatusOr<VideoHasher> hasher = VideoHasher::Create({});
  absl::StatusOr<VideoSignals> original = hasher->HashFile(VideoDir() / "cockatoo.mp4");
  REQUIRE(original.ok());
  for (const char* name : {"letterbox.mp4", "vertical.mp4"}) {
    INFO(name);
    absl::StatusOr<VideoSignals> v = hasher->HashFile(dir.path() / name);
    REQUIRE(v.ok());
    CHECK(v->cropped());
    int worst = 0;
    for (double t = 1; t < 13; t += 1)
      worst = std::max(worst, Distance(At(*v, t).pdq, At(*original, t).pdq));
    CHECK(worst <= 31);
  }
}

TEST_CASE("Frames get their regions every view_interval seconds where a crop lands",
          "[video][hasher]") {
  VideoOptions options;
  options.sample_interval = 0;  // every frame, as references are enrolled
  options.views.regions = true;
  options.view_interval = 0.5;
  absl::StatusOr<VideoHasher> hasher = VideoHasher::Create(options);
  REQUIRE(hasher.ok());
  absl::StatusOr<VideoSignals> v = hasher->HashFile(VideoDir() / "street_vtest.mp4");
  REQUIRE(v.ok());
  double last = -1;
  size_t given = 0;
  for (const VideoFrame& f : v->frames) {
    if (f.views.empty()) continue;
    ++given;
    CHECK(f.views.size() <= 10);  // centre and four corners, at 90% and 80%
    for (const ImageView& view : f.views) CHECK(view.kind == "region");
    if (last >= 0) CHECK(f.start - last >= 0.5 - 1e-6);
    last = f.start;
  }
  // One every half second of the 20 s clip (the frames are 0.1 s apart).
  CHECK(given >= 38);
  CHECK(given <= 41);
  // The centre 90% region of the frame at 10 s is near the same moment of a
  // copy cropped 5% on each side, whose whole frame is not.
  TempDir dir;
  Ffmpeg("-i " + ShellQuote(VideoDir() / "street_vtest.mp4") + " -vf crop=432:324 -c:v libx264 -an",
         dir.path() / "crop.mp4");
  VideoOptions plain;
  plain.sample_interval = 0;
  absl::StatusOr<VideoSignals> cropped =
      VideoHasher::Create(plain)->HashFile(dir.path() / "crop.mp4");
  REQUIRE(cropped.ok());
  const VideoFrame& query = At(*cropped, 10.0);
  int nearest_region = 256;
  for (const VideoFrame& f : v->frames) {
    if (std::abs(f.start - 10.0) > 0.3) continue;
    for (const ImageView& view : f.views) {
      nearest_region = std::min(nearest_region, Distance(query.pdq, view.pdq));
    }
  }
  CHECK(Distance(query.pdq, At(*v, 10.0).pdq) > 31);
  CHECK(nearest_region <= 31);
  // A negative interval is refused.
  options.view_interval = -1;
  CHECK(VideoHasher::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Images and videos are told apart by content", "[video][hasher]") {
  CHECK(SniffMediaKind(testing::ReadFileBytes(testing::TestdataDir() / "known/coffee.jpg")) ==
        MediaKind::kImage);
  CHECK(SniffMediaKind(testing::ReadFileBytes(VideoDir() / "tree.mp4")) == MediaKind::kVideo);
  absl::StatusOr<MediaHasher> hasher = MediaHasher::Create({}, {});
  REQUIRE(hasher.ok());
  TempDir dir;
  // A video named like a photo is still a video.
  std::filesystem::copy_file(VideoDir() / "tree.mp4", dir.path() / "holiday.jpg");
  absl::StatusOr<MediaSignals> s = hasher->HashFile(dir.path() / "holiday.jpg");
  REQUIRE(s.ok());
  CHECK(s->kind == MediaKind::kVideo);
  testing::WriteFileText(dir.path() / "notes.txt", "not a picture, not a film\n");
  absl::StatusOr<MediaSignals> t = hasher->HashFile(dir.path() / "notes.txt");
  REQUIRE(!t.ok());
  CHECK_THAT(std::string(t.status().message()), Catch::Contains("not a supported image or video"));
}

}  // namespace
}  // namespace hashwatch
