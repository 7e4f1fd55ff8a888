// ProbeImage: format, size and orientation from the header; bad input is a
// clear error before any decoding.
#include "media/image_probe.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "test_support.h"

namespace hashwatch::media {
namespace {

std::vector<uint8_t> Encode(const std::string& ext, int w, int h) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(10, 120, 240));
  cv::randu(img, 0, 255);
  std::vector<uint8_t> out;
  REQUIRE(cv::imencode(ext, img, out));
  return out;
}

TEST_CASE("ProbeImage reads format and size of every supported format") {
  const std::pair<const char*, ImageFormat> cases[] = {{".jpg", ImageFormat::kJpeg},
                                                       {".png", ImageFormat::kPng},
                                                       {".bmp", ImageFormat::kBmp},
                                                       {".webp", ImageFormat::kWebp},
                                                       {".tiff", ImageFormat::kTiff}};
  for (const auto& [ext, format] : cases) {
    INFO(ext);
    auto info = ProbeImage(Encode(ext, 123, 45));
    REQUIRE(info.ok());
    CHECK(info->format == format);
    CHECK(info->width == 123);
    CHECK(info->height == 45);
    CHECK(info->orientation == 1);
  }
}

TEST_CASE("ProbeImage reads the size a PNG header claims without decoding") {
  auto info = ProbeImage(testing::PngHeaderClaiming(100000, 100000));
  REQUIRE(info.ok());
  CHECK(info->width == 100000);
  CHECK(info->height == 100000);
}

TEST_CASE("ProbeImage rejects truncated JPEG and PNG with the reason") {
  for (const char* ext : {".jpg", ".png"}) {
    const std::vector<uint8_t> whole = Encode(ext, 200, 100);
    for (size_t keep : {size_t{16}, size_t{40}, whole.size() / 2, whole.size() - 3}) {
      INFO(ext << " cut to " << keep << " of " << whole.size() << " bytes");
      auto info = ProbeImage(absl::MakeConstSpan(whole.data(), keep));
      REQUIRE_FALSE(info.ok());
      CHECK(info.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK_THAT(std::string(info.status().message()), Catch::Contains("truncated"));
    }
  }
}

TEST_CASE("ProbeImage rejects empty, random and text input") {
  auto empty = ProbeImage({});
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.status().message() == "empty file");

  std::mt19937 rng(7);
  std::vector<uint8_t> noise(4096);
  for (auto& b : noise) b = static_cast<uint8_t>(rng());
  noise[0] = 0x00;  // not by chance a magic number
  auto random = ProbeImage(noise);
  REQUIRE_FALSE(random.ok());
  CHECK_THAT(std::string(random.status().message()), Catch::Contains("not a supported image"));

  const std::string text = "<html><body>not a photo</body></html>\n";
  auto html =
      ProbeImage(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  REQUIRE_FALSE(html.ok());
  CHECK_THAT(std::string(html.status().message()), Catch::Contains("not a supported image"));
}

TEST_CASE("ProbeImage survives every prefix and random corruption of real files") {
  // Hostile input: no crash, no read out of bounds (run under ASan in CI's
  // sanitizer build), and an answer either way.
  std::mt19937 rng(11);
  for (const char* ext : {".jpg", ".png", ".bmp", ".webp", ".tiff"}) {
    const std::vector<uint8_t> whole = Encode(ext, 64, 48);
    for (size_t keep = 0; keep < std::min<size_t>(whole.size(), 600); ++keep) {
      (void)ProbeImage(absl::MakeConstSpan(whole.data(), keep));
    }
    for (int round = 0; round < 300; ++round) {
      std::vector<uint8_t> bad = whole;
      for (int k = 0; k < 4; ++k)
        bad[rng() % std::min<size_t>(bad.size(), 200)] = static_cast<uint8_t>(rng());
      (void)ProbeImage(bad);
    }
  }
  SUCCEED("no crash");
}

}  // namespace
}  // namespace hashwatch::media

namespace hashwatch::media {
namespace {

TEST_CASE("A WebP's size is its first chunk's, whatever VP8X follows") {
  // libwebp only honours VP8X as the first chunk; a trailing one claiming
  // 1x1 must not hide a big frame from the pixel limit.
  std::vector<uint8_t> webp =
      testing::ReadFileBytes(testing::TestdataDir() / "formats" / "photo.webp");
  REQUIRE(std::string(webp.begin() + 12, webp.begin() + 16) == "VP8 ");
  const uint8_t vp8x[18] = {'V', 'P', '8', 'X', 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  webp.insert(webp.end(), vp8x, vp8x + 18);
  const uint32_t riff = static_cast<uint32_t>(webp.size() - 8);
  for (int i = 0; i < 4; ++i) webp[4 + i] = static_cast<uint8_t>(riff >> (8 * i));
  auto info = ProbeImage(webp);
  REQUIRE(info.ok());
  CHECK(info->width == 320);
  CHECK(info->height == 208);
}

TEST_CASE("A JPEG with hundreds of scans is refused before decoding") {
  std::vector<uint8_t> jpeg =
      testing::ReadFileBytes(testing::TestdataDir() / "formats" / "photo_progressive.jpg");
  REQUIRE(ProbeImage(jpeg).ok());
  jpeg.resize(jpeg.size() - 2);  // drop EOI
  const uint8_t sos[10] = {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00};
  for (int i = 0; i < 600; ++i) jpeg.insert(jpeg.end(), sos, sos + 10);
  jpeg.push_back(0xFF);
  jpeg.push_back(0xD9);
  auto info = ProbeImage(jpeg);
  REQUIRE_FALSE(info.ok());
  CHECK_THAT(std::string(info.status().message()), Catch::Contains("more than 500 scans"));
}

}  // namespace
}  // namespace hashwatch::media
