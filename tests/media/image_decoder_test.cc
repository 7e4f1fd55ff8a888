// DecodeImage on every supported format and on hostile input.
#include "media/image_decoder.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "signals/pdq_hash.h"
#include "test_support.h"

namespace hashwatch::media {
namespace {

using testing::ReadFileBytes;
using testing::TestdataDir;

constexpr int kPdqSide = 192;  // the PDQ signal type's working side

int Distance(const signals::PdqBits& a, const signals::PdqBits& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += __builtin_popcount(a[i] ^ b[i]);
  return d;
}

DecodedImage MustDecode(const std::string& name, int working_side = kPdqSide) {
  auto bytes = ReadFileBytes(TestdataDir() / "formats" / name);
  auto img = DecodeImage(bytes, DecodeLimits{}, working_side);
  INFO(name);
  REQUIRE(img.ok());
  return *std::move(img);
}

signals::PdqBits PdqOf(const std::string& name) {
  return signals::ComputePdq(MustDecode(name).luma).hash;
}

TEST_CASE("Every format decodes to the same picture") {
  // testdata/formats holds one photo saved in each format (make_formats.sh).
  const signals::PdqBits reference = PdqOf("photo_rgb8.png");
  for (const char* name :
       {"photo_baseline.jpg", "photo_progressive.jpg", "photo_cmyk.jpg", "photo_grey.jpg",
        "photo_rgb16.png", "photo_grey.png", "photo_palette.png", "photo.webp", "photo.bmp",
        "photo.tif", "photo_16bit.tif", "photo_anim.gif", "photo_exif1.jpg"}) {
    const DecodedImage img = MustDecode(name);
    INFO(name);
    CHECK(img.width == 320);
    CHECK(img.height == 208);
    CHECK(Distance(signals::ComputePdq(img.luma).hash, reference) <= 8);
  }
}

TEST_CASE("Transparent pictures hash alike in every format") {
  // Alpha is composited over black, so the colour an encoder stores under
  // transparent pixels (libwebp rewrites it) does not matter.
  const signals::PdqBits rgba = PdqOf("photo_rgba.png");
  CHECK(Distance(PdqOf("photo_alpha.webp"), rgba) <= 8);
  CHECK(Distance(PdqOf("photo_grey_alpha.png"), rgba) <= 8);
}

TEST_CASE("EXIF orientation is applied: all four orientations give the upright photo") {
  const signals::PdqBits upright = PdqOf("photo_exif1.jpg");
  for (const char* name : {"photo_exif3.jpg", "photo_exif6.jpg", "photo_exif8.jpg"}) {
    const DecodedImage img = MustDecode(name);
    INFO(name);
    CHECK(img.width == 320);
    CHECK(img.height == 208);
    CHECK(Distance(signals::ComputePdq(img.luma).hash, upright) <= 8);
  }
}

TEST_CASE("A GIF gives its first frame") {
  // The animated GIF's second frame is a very different picture.
  CHECK(Distance(PdqOf("photo_anim.gif"), PdqOf("photo_rgb8.png")) <= 8);
}

TEST_CASE("Large JPEGs are decoded at reduced scale, never below the working side") {
  CHECK(JpegScaleDenominator(320, 208, kPdqSide) == 1);
  CHECK(JpegScaleDenominator(800, 600, kPdqSide) == 2);
  CHECK(JpegScaleDenominator(1600, 1004, kPdqSide) == 4);
  CHECK(JpegScaleDenominator(4032, 3024, kPdqSide) == 8);
  CHECK(JpegScaleDenominator(4032, 3024, 0) == 1);

  cv::Mat big(1600, 2400, CV_8UC3);
  cv::randu(big, 0, 255);
  cv::GaussianBlur(big, big, cv::Size(31, 31), 8);
  std::vector<uint8_t> jpeg;
  REQUIRE(cv::imencode(".jpg", big, jpeg));
  auto img = DecodeImage(jpeg, DecodeLimits{}, kPdqSide);
  REQUIRE(img.ok());
  CHECK(img->width == 2400);     // the image's own size is reported
  CHECK(img->luma.rows == 200);  // decoded at 1/8
  CHECK(img->luma.cols == 300);
}

TEST_CASE("Limits are checked from the header before decoding") {
  const auto bytes = ReadFileBytes(TestdataDir() / "formats" / "photo_rgb8.png");
  DecodeLimits limits;
  limits.max_pixels = 320 * 208 - 1;
  auto too_big = DecodeImage(bytes, limits, kPdqSide);
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.status().code() == absl::StatusCode::kOutOfRange);
  CHECK_THAT(std::string(too_big.status().message()),
             Catch::Contains("320x208") && Catch::Contains("over the limit"));

  limits = DecodeLimits{};
  limits.max_bytes = 1000;
  auto too_long = DecodeImage(bytes, limits, kPdqSide);
  REQUIRE_FALSE(too_long.ok());
  CHECK_THAT(std::string(too_long.status().message()), Catch::Contains("over the limit of 1000"));
}

TEST_CASE("Truncated and corrupted files are per-file errors, never crashes") {
  std::mt19937 rng(3);
  for (const char* name : {"photo_baseline.jpg", "photo_progressive.jpg", "photo_rgb8.png",
                           "photo.webp", "photo.tif", "photo.bmp", "photo_anim.gif"}) {
    const auto whole = ReadFileBytes(TestdataDir() / "formats" / name);
    INFO(name);
    if (std::string(name).find(".jpg") != std::string::npos ||
        std::string(name).find(".png") != std::string::npos) {
      auto cut = DecodeImage(absl::MakeConstSpan(whole.data(), whole.size() * 2 / 3),
                             DecodeLimits{}, kPdqSide);
      REQUIRE_FALSE(cut.ok());
      CHECK_THAT(std::string(cut.status().message()), Catch::Contains("truncated"));
    }
    // Random damage anywhere: any outcome but a crash (ASan checks reads).
    for (int round = 0; round < 40; ++round) {
      std::vector<uint8_t> bad = whole;
      for (int k = 0; k < 8; ++k) bad[rng() % bad.size()] = static_cast<uint8_t>(rng());
      (void)DecodeImage(bad, DecodeLimits{}, kPdqSide);
      (void)DecodeImage(absl::MakeConstSpan(bad.data(), rng() % bad.size()), DecodeLimits{},
                        kPdqSide);
    }
  }
  SUCCEED("no crash");
}

}  // namespace
}  // namespace hashwatch::media
