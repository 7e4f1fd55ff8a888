// Local features: what the catalog stores for verification survives a round
// trip, holds no pixels, and a damaged blob is an error, never a crash.
#include "signals/local_features.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "match/local_verifier.h"
#include "test_support.h"

namespace hashwatch::signals {
namespace {

cv::Mat Luma(const char* name) {
  cv::Mat grey =
      cv::imread((testing::TestdataDir() / "known" / name).string(), cv::IMREAD_GRAYSCALE);
  REQUIRE(!grey.empty());
  return grey;
}

TEST_CASE("Local features survive serialisation and hold only keypoints", "[signals]") {
  const LocalFeatures f = ExtractLocalFeatures(Luma("coffee.jpg"));
  REQUIRE(f.points.size() >= 100);
  REQUIRE(f.points.size() <= static_cast<size_t>(kMaxFeatures));
  const std::vector<uint8_t> blob = SerializeLocalFeatures(f);
  CHECK(blob.size() == 10 + f.points.size() * 36);
  absl::StatusOr<LocalFeatures> back = ParseLocalFeatures(blob);
  REQUIRE(back.ok());
  CHECK(back->width == f.width);
  CHECK(back->height == f.height);
  REQUIRE(back->points.size() == f.points.size());
  for (size_t i = 0; i < f.points.size(); ++i) {
    CHECK(std::abs(back->points[i].x - f.points[i].x) <= 0.125f);
    CHECK(std::abs(back->points[i].y - f.points[i].y) <= 0.125f);
  }
  CHECK(cv::norm(back->descriptors, f.descriptors, cv::NORM_HAMMING) == 0);
  // The same image verifies against itself; a different photo does not.
  CHECK(match::VerifyLocalFeatures(*back, f).confirmed);
  CHECK_FALSE(match::VerifyLocalFeatures(ExtractLocalFeatures(Luma("coast.jpg")), f).confirmed);
}

TEST_CASE("A damaged local-features blob is an error", "[signals]") {
  const std::vector<uint8_t> blob =
      SerializeLocalFeatures(ExtractLocalFeatures(Luma("tulips.jpg")));
  for (size_t cut : {size_t{0}, size_t{3}, size_t{9}, size_t{10}, blob.size() - 1}) {
    INFO("cut at " << cut);
    CHECK(ParseLocalFeatures({blob.data(), cut}).status().code() == absl::StatusCode::kDataLoss);
  }
  std::vector<uint8_t> wrong = blob;
  wrong[0] = 'X';
  CHECK_FALSE(ParseLocalFeatures(wrong).ok());
  std::vector<uint8_t> longer = blob;
  longer.push_back(0);
  CHECK_FALSE(ParseLocalFeatures(longer).ok());
  // A flat image has no keypoints: an empty but valid blob.
  const std::vector<uint8_t> flat =
      SerializeLocalFeatures(ExtractLocalFeatures(cv::Mat(200, 200, CV_8UC1, cv::Scalar(90))));
  absl::StatusOr<LocalFeatures> none = ParseLocalFeatures(flat);
  REQUIRE(none.ok());
  CHECK(none->points.empty());
}

}  // namespace
}  // namespace hashwatch::signals
