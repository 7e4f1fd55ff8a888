// ImageHasher: the public entry point of the image pipeline.
#include "hashwatch/image_hasher.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <limits>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "hashwatch/signal_type.h"
#include "media/decoded_image.h"
#include "media/image_decoder.h"
#include "signals/pdq_hash.h"
#include "test_support.h"

namespace hashwatch {
namespace {

using testing::TestdataDir;

std::vector<std::string> ImagePaths() {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(TestdataDir() / "images")) {
    paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST_CASE("HashFile and HashBytes agree and report every requested signal") {
  HashOptions options;
  options.signals = {"pdq", "phash", "sha256", "md5"};
  auto hasher = ImageHasher::Create(options);
  REQUIRE(hasher.ok());
  for (const std::string& path : ImagePaths()) {
    auto from_file = hasher->HashFile(path);
    auto from_bytes = hasher->HashBytes(testing::ReadFileBytes(path));
    REQUIRE(from_file.ok());
    REQUIRE(from_bytes.ok());
    REQUIRE(from_file->signals.size() == 4);
    for (size_t i = 0; i < 4; ++i) {
      CHECK(from_file->signals[i].type == options.signals[i]);
      CHECK(from_file->signals[i].hash == from_bytes->signals[i].hash);
      CHECK(from_file->signals[i].hash.size() == FindSignalType(options.signals[i])->hash_size());
    }
    CHECK(from_file->Find("pdq")->quality >= 50);
    CHECK(from_file->Find("sha256")->quality == -1);
    CHECK(from_file->Find("pdq")->variants.empty());  // not asked for
    CHECK(from_file->width > 0);
  }
}

TEST_CASE("Verification pixels are the decode the hashes came from, in the image's shape") {
  // A scan verifies candidates with local features of the query: it asks
  // the hasher for its decode instead of decoding the file a second time.
  HashOptions options;
  options.verification_pixels = true;
  auto hasher = ImageHasher::Create(options);
  REQUIRE(hasher.ok());
  auto plain = ImageHasher::Create(HashOptions());
  REQUIRE(plain.ok());
  for (const std::string& path : ImagePaths()) {
    INFO(path);
    const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
    std::shared_ptr<const DecodedImage> pixels;
    auto hashed = hasher->HashBytes(bytes, &pixels);
    REQUIRE(hashed.ok());
    REQUIRE(pixels != nullptr);
    const cv::Mat& luma = pixels->luma;
    // Large enough for local features (or the whole image when smaller),
    // both axes reduced alike.
    CHECK(std::min(luma.cols, luma.rows) >= std::min({480, hashed->width, hashed->height}));
    CHECK(std::abs(static_cast<double>(luma.cols) / luma.rows -
                   static_cast<double>(hashed->width) / hashed->height) < 0.02);
    // The hash stays within a few bits of the full-resolution decode's
    // (what PDQ's reference hashes; a JPEG reduced in its DCT to PDQ's own
    // 192 px is 0-16 bits from it, at 480 px 0-12 on testdata and corpus).
    absl::StatusOr<DecodedImage> full = media::DecodeImage(bytes, DecodeLimits(), 0);
    REQUIRE(full.ok());
    const signals::PdqResult reference = signals::ComputePdq(full->luma);
    CHECK(FindSignalType("pdq")->Distance(hashed->Find("pdq")->hash, reference.hash) <= 12);
    // Not asked for: none handed back.
    std::shared_ptr<const DecodedImage> none = pixels;
    REQUIRE(plain->HashBytes(bytes, &none).ok());
    CHECK(none == nullptr);
  }
}

TEST_CASE("Errors name the file and say what is wrong") {
  auto hasher = ImageHasher::Create(HashOptions{});
  REQUIRE(hasher.ok());
  testing::TempDir tmp;
  testing::WriteFileText(tmp.path() / "notes.jpg", "this is a text file, not a JPEG\n");
  testing::WriteFileText(tmp.path() / "empty.png", "");
  auto text = hasher->HashFile((tmp.path() / "notes.jpg").string());
  REQUIRE_FALSE(text.ok());
  CHECK_THAT(std::string(text.status().message()),
             Catch::StartsWith((tmp.path() / "notes.jpg").string() + ": not a supported image"));
  auto empty = hasher->HashFile((tmp.path() / "empty.png").string());
  CHECK_THAT(std::string(empty.status().message()), Catch::EndsWith(": empty file"));
  auto missing = hasher->HashFile((tmp.path() / "missing.jpg").string());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  testing::WriteFileBytes(tmp.path() / "bomb.png", testing::PngHeaderClaiming(100000, 100000));
  auto bomb = hasher->HashFile((tmp.path() / "bomb.png").string());
  CHECK(bomb.status().code() == absl::StatusCode::kOutOfRange);
  CHECK_THAT(std::string(bomb.status().message()),
             Catch::EndsWith("bomb.png: PNG is 100000x100000 (10000.0 megapixels), over the limit "
                             "of 100.0 megapixels"));
  testing::WriteFileBytes(tmp.path() / "huge.png",
                          testing::PngHeaderClaiming(0xFFFFFFFF, 0xFFFFFFFF));
  auto huge = hasher->HashFile((tmp.path() / "huge.png").string());
  CHECK(huge.status().code() == absl::StatusCode::kOutOfRange);  // no overflow on the way
  auto folder = hasher->HashFile(tmp.path().string());
  CHECK_THAT(std::string(folder.status().message()), Catch::Contains("not a regular file"));
}

TEST_CASE("Float images with NaN or out-of-range values hash like their clamped picture") {
  // A float TIFF is nominally 0..1; NaN and HDR values must neither crash
  // nor produce an all-zero hash with full quality.
  cv::Mat img(96, 128, CV_32FC1);
  cv::randu(img, 0.0, 1.0);
  cv::GaussianBlur(img, img, cv::Size(9, 9), 3);
  cv::Mat wild = img.clone();
  wild.at<float>(0, 5) = std::numeric_limits<float>::quiet_NaN();
  wild.at<float>(40, 40) = 16000.0f;
  std::vector<uint8_t> plain, hostile;
  REQUIRE(cv::imencode(".tiff", img, plain));
  REQUIRE(cv::imencode(".tiff", wild, hostile));
  auto hasher = ImageHasher::Create(HashOptions{});
  REQUIRE(hasher.ok());
  auto a = hasher->HashBytes(plain);
  auto b = hasher->HashBytes(hostile);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->Find("pdq")->hash != std::vector<uint8_t>(32, 0));
  CHECK(b->Find("pdq")->quality <= 100);
  CHECK(FindSignalType("pdq")->Distance(a->Find("pdq")->hash, b->Find("pdq")->hash) <= 31);
}

TEST_CASE("Create refuses unknown signal types and bad limits") {
  HashOptions options;
  options.signals = {"pdq", "dhash"};
  auto bad = ImageHasher::Create(options);
  REQUIRE_FALSE(bad.ok());
  CHECK_THAT(std::string(bad.status().message()),
             Catch::Contains("unknown signal type 'dhash'") && Catch::Contains("pdq"));
  options.signals = {"pdq"};
  options.limits.max_pixels = 0;
  CHECK_FALSE(ImageHasher::Create(options).ok());
  // Issue 9: limits the decoders cannot honour (an image size over 2 GiB
  // overflowed an int) are refused, not wrapped.
  options.limits = DecodeLimits();
  options.limits.max_bytes = 3'000'000'000;
  absl::StatusOr<ImageHasher> huge = ImageHasher::Create(options);
  CHECK(huge.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(huge.status().message()), Catch::Contains("max_bytes"));
  options.limits.max_bytes = kMaxImageBytesLimit;
  CHECK(ImageHasher::Create(options).ok());
  options.limits.max_video_seconds = std::numeric_limits<double>::quiet_NaN();
  CHECK_FALSE(ImageHasher::Create(options).ok());
}

TEST_CASE("Digests alone need no decoding, so they work on any file") {
  HashOptions options;
  options.signals = {"sha256"};
  auto hasher = ImageHasher::Create(options);
  REQUIRE(hasher.ok());
  const std::string text = "not an image";
  auto r = hasher->HashBytes(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  REQUIRE(r.ok());
  CHECK(r->signals.size() == 1);
}

TEST_CASE("One hasher is safe to share between threads", "[concurrency]") {
  HashOptions options;
  options.signals = {"pdq", "phash"};
  options.variants = true;
  auto hasher = ImageHasher::Create(options);
  REQUIRE(hasher.ok());
  const auto paths = ImagePaths();
  std::vector<std::vector<uint8_t>> expected;
  for (const auto& p : paths) expected.push_back(hasher->HashFile(p)->Find("pdq")->hash);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < paths.size(); ++i) {
          auto r = hasher->HashFile(paths[i]);
          if (!r.ok() || r->Find("pdq")->hash != expected[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(mismatches == 0);
}

}  // namespace
}  // namespace hashwatch
