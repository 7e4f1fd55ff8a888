// PDQ properties users rely on, on real photos (testdata/images).
#include "signals/pdq_hash.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "hashwatch/signal.h"
#include "media/image_decoder.h"
#include "test_support.h"

namespace hashwatch::signals {
namespace {

int Distance(const PdqBits& a, const PdqBits& b) {
  int d = 0;
  for (size_t i = 0; i < a.size(); ++i) d += __builtin_popcount(a[i] ^ b[i]);
  return d;
}

std::vector<cv::Mat> Photos() {
  std::vector<cv::Mat> lumas;
  for (const auto& e : std::filesystem::directory_iterator(testing::TestdataDir() / "images")) {
    auto img = media::DecodeImage(testing::ReadFileBytes(e.path()), DecodeLimits{}, 0);
    REQUIRE(img.ok());
    lumas.push_back(img->luma);
  }
  REQUIRE(lumas.size() >= 5);
  return lumas;
}

TEST_CASE("Dihedral variants are the hashes of the rotated and mirrored photo") {
  for (const cv::Mat& luma : Photos()) {
    const PdqResult r = ComputePdq(luma, /*dihedral=*/true);
    CHECK(r.dihedral[0] == r.hash);
    cv::Mat t;
    auto check = [&](Dihedral d, const cv::Mat& transformed) {
      INFO("variant " << DihedralName(d));
      CHECK(Distance(ComputePdq(transformed).hash, r.dihedral[static_cast<int>(d)]) <= 2);
    };
    cv::rotate(luma, t, cv::ROTATE_90_COUNTERCLOCKWISE);
    check(Dihedral::kRotate90, t);
    cv::rotate(luma, t, cv::ROTATE_180);
    check(Dihedral::kRotate180, t);
    cv::rotate(luma, t, cv::ROTATE_90_CLOCKWISE);
    check(Dihedral::kRotate270, t);
    cv::flip(luma, t, 0);
    check(Dihedral::kFlipX, t);
    cv::flip(luma, t, 1);
    check(Dihedral::kFlipY, t);
    cv::transpose(luma, t);
    check(Dihedral::kFlipPlus1, t);
    cv::rotate(t, t, cv::ROTATE_180);
    check(Dihedral::kFlipMinus1, t);
  }
}

TEST_CASE("Different photos are far apart, small edits stay close") {
  const std::vector<cv::Mat> photos = Photos();
  for (size_t i = 0; i < photos.size(); ++i) {
    const PdqResult a = ComputePdq(photos[i]);
    CHECK(a.quality >= 50);
    for (size_t j = i + 1; j < photos.size(); ++j) {
      CHECK(Distance(a.hash, ComputePdq(photos[j]).hash) > 64);
    }
    cv::Mat edited;
    cv::resize(photos[i], edited, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    edited.convertTo(edited, CV_32F, 0.9, 12);  // smaller, less contrast, brighter
    INFO("photo " << i << " " << photos[i].cols << "x" << photos[i].rows);
    CHECK(Distance(a.hash, ComputePdq(edited).hash) <= 31);
  }
}

TEST_CASE("Featureless and tiny images have low quality") {
  const cv::Mat flat(300, 200, CV_32FC1, cv::Scalar(128));
  CHECK(ComputePdq(flat).quality == 0);
  const cv::Mat tiny(4, 100, CV_32FC1, cv::Scalar(10));
  const PdqResult r = ComputePdq(tiny);
  CHECK(r.quality == 0);
  CHECK(r.hash == PdqBits{});
}

}  // namespace
}  // namespace hashwatch::signals
