// One-pass luma + colour JPEG decoding (media/jpeg_ycc_decoder.h) and its use
// by DecodeImage when the embedding asks for colour.
#include "media/jpeg_ycc_decoder.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "media/image_decoder.h"
#include "test_support.h"

namespace hashwatch::media {
namespace {

using testing::ReadFileBytes;
using testing::TestdataDir;

constexpr int kPdqSide = 192;     // the PDQ signal type's working side
constexpr int kColourSide = 224;  // the default embedding's input side

std::vector<std::filesystem::path> ColourJpegs() {
  std::vector<std::filesystem::path> out;
  for (const char* dir : {"images", "known", "formats"}) {
    for (const auto& e : std::filesystem::directory_iterator(TestdataDir() / dir)) {
      if (e.path().extension() == ".jpg") out.push_back(e.path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

double MaxAbsDiff(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  double max = 0;
  cv::minMaxLoc(d.reshape(1), nullptr, &max);
  return max;
}

TEST_CASE("Asking for colour never changes a JPEG's luma, so hashes do not depend on it") {
  int one_pass = 0;
  for (const auto& path : ColourJpegs()) {
    INFO(path.filename().string());
    const auto bytes = ReadFileBytes(path);
    auto grey_only = DecodeImage(bytes, DecodeLimits{}, kPdqSide);
    REQUIRE(grey_only.ok());
    // kPdqSide as the colour side forces the one-pass path wherever libjpeg
    // can take it; kColourSide is what the default model asks for.
    for (int colour_side : {kPdqSide, kColourSide}) {
      auto both = DecodeImage(bytes, DecodeLimits{}, kPdqSide, false, colour_side);
      REQUIRE(both.ok());
      CHECK(MaxAbsDiff(both->luma, grey_only->luma) == 0);
      REQUIRE(both->colour.type() == CV_8UC3);
      CHECK(std::min(both->colour.rows, both->colour.cols) < 2 * colour_side);
    }
    const auto info = ProbeImage(bytes);
    REQUIRE(info.ok());
    if (DecodeJpegLumaAndColour(bytes, JpegScaleDenominator(info->width, info->height, kPdqSide))
            .ok()) {
      ++one_pass;
    }
  }
  CHECK(one_pass >= 8);  // the test JPEGs are mostly YCbCr: the path is exercised
}

TEST_CASE("The one-pass colour is the picture OpenCV decodes, within rounding") {
  for (const auto& path : ColourJpegs()) {
    const auto bytes = ReadFileBytes(path);
    auto both = DecodeJpegLumaAndColour(bytes, 2);
    if (!both.ok()) continue;  // not YCbCr: covered below
    INFO(path.filename().string());
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1,
                      const_cast<uint8_t*>(bytes.data()));
    const cv::Mat opencv =
        cv::imdecode(buf, cv::IMREAD_REDUCED_COLOR_2 | cv::IMREAD_IGNORE_ORIENTATION);
    REQUIRE(opencv.size() == both->colour.size());
    // libjpeg's and OpenCV's YCbCr -> RGB round differently: 1-2 levels.
    CHECK(MaxAbsDiff(opencv, both->colour) <= 3);
    CHECK(both->luma.size() == both->colour.size());
  }
}

TEST_CASE("JPEGs that are not YCbCr are left to the ordinary decoder") {
  for (const char* name : {"photo_grey.jpg", "photo_cmyk.jpg"}) {
    INFO(name);
    const auto bytes = ReadFileBytes(TestdataDir() / "formats" / name);
    auto both = DecodeJpegLumaAndColour(bytes, 1);
    REQUIRE_FALSE(both.ok());
    CHECK(both.status().code() == absl::StatusCode::kFailedPrecondition);
    auto decoded = DecodeImage(bytes, DecodeLimits{}, kPdqSide, false, kColourSide);
    REQUIRE(decoded.ok());
    CHECK_FALSE(decoded->colour.empty());
  }
  auto bad_scale =
      DecodeJpegLumaAndColour(ReadFileBytes(TestdataDir() / "formats" / "photo_baseline.jpg"), 3);
  CHECK(bad_scale.status().code() == absl::StatusCode::kInvalidArgument);
}

// A progressive JPEG with its last scan repeated until it has `scans`
// scans: valid markers, a pointless stream, the shape of a decoding-time
// attack.
std::vector<uint8_t> WithRepeatedScans(const std::vector<uint8_t>& jpeg, int scans) {
  // The last SOS (FF DA) up to the EOI (FF D9) at the end is one scan.
  size_t sos = 0;
  for (size_t i = 0; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) sos = i;
  }
  REQUIRE(sos > 0);
  REQUIRE(jpeg[jpeg.size() - 2] == 0xFF);
  REQUIRE(jpeg.back() == 0xD9);
  std::vector<uint8_t> out(jpeg.begin(), jpeg.end() - 2);
  const std::vector<uint8_t> scan(jpeg.begin() + static_cast<std::ptrdiff_t>(sos), jpeg.end() - 2);
  for (int i = 0; i < scans; ++i) out.insert(out.end(), scan.begin(), scan.end());
  out.push_back(0xFF);
  out.push_back(0xD9);
  return out;
}

TEST_CASE("A progressive JPEG with thousands of scans is refused, not decoded for minutes") {
  cv::Mat picture(64, 64, CV_8UC3);
  cv::randu(picture, 0, 255);
  std::vector<uint8_t> jpeg;
  REQUIRE(cv::imencode(".jpg", picture, jpeg, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  CHECK(DecodeJpegLumaAndColour(WithRepeatedScans(jpeg, 10), 1).ok());  // odd but small: decoded
  auto many = DecodeJpegLumaAndColour(WithRepeatedScans(jpeg, 1500), 1);
  REQUIRE_FALSE(many.ok());
  CHECK(many.status().code() == absl::StatusCode::kOutOfRange);
  CHECK_THAT(std::string(many.status().message()), Catch::Contains("scans"));
}

TEST_CASE("Damaged JPEGs on the one-pass path are per-file errors, never crashes") {
  std::mt19937 rng(11);
  for (const char* name : {"photo_baseline.jpg", "photo_progressive.jpg"}) {
    const auto whole = ReadFileBytes(TestdataDir() / "formats" / name);
    for (int round = 0; round < 60; ++round) {
      std::vector<uint8_t> bad = whole;
      for (int k = 0; k < 8; ++k) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
      (void)DecodeJpegLumaAndColour(bad, 1 << (round % 4));
      (void)DecodeImage(bad, DecodeLimits{}, kPdqSide, false, kPdqSide);
      (void)DecodeJpegLumaAndColour(absl::MakeConstSpan(bad.data(), rng() % bad.size()), 2);
    }
  }
  SUCCEED("no crash");
}

}  // namespace
}  // namespace hashwatch::media
