// MatchPhoto's whole-picture check for a candidate its local features
// confirm (match/photo_matcher.h, "verified"): the keypoints here agree on
// half of the known photo only (the rest is another photo), as for two
// screenshots of one app, so only the whole-picture PDQ decides. The fitted
// transform's aligned PDQ is given by the test: on repeated structure RANSAC
// can fit a shifted model, whose aligned PDQ is far even for a true copy.
#include "match/photo_matcher.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "index/pdq_test_codes.h"
#include "test_support.h"

namespace hashwatch::match {
namespace {

using testing::Code;

// One known photo (item 7) with its code and serialised local features.
class OneKnownPhoto final : public CandidateSource {
 public:
  OneKnownPhoto(Code code, std::vector<uint8_t> features)
      : code_(code), features_(std::move(features)) {}
  void Search(const uint8_t* code, int threshold, std::vector<Candidate>* out) const override {
    const int d = testing::NaiveDistance(code, code_.data());
    if (d > threshold) return;
    Candidate c;
    c.item = 7;
    c.distance = d;
    out->push_back(c);
  }
  double VideoEnd(int64_t) const override { return 0; }
  void FramesNear(int64_t, double, double,
                  std::vector<std::pair<Candidate, Code>>*) const override {}
  std::optional<CaseId> OpenCase(int64_t item) const override {
    if (item != 7) return std::nullopt;
    return CaseId("K");
  }
  bool KnownCode(int64_t item, uint8_t* out32) const override {
    if (item != 7) return false;
    std::copy(code_.begin(), code_.end(), out32);
    return true;
  }
  absl::StatusOr<std::vector<uint8_t>> LocalFeatures(int64_t item) const override {
    if (item != 7) return std::vector<uint8_t>();
    return features_;
  }

 private:
  Code code_;
  std::vector<uint8_t> features_;
};

cv::Mat Grey(const char* relative) {
  cv::Mat m = cv::imread((testing::TestdataDir() / relative).string(), cv::IMREAD_GRAYSCALE);
  REQUIRE(!m.empty());
  return signals::AtFeatureSide(m);
}

// The known photo's left half beside another photo's right half.
cv::Mat HalfReplaced(const cv::Mat& known) {
  cv::Mat other;
  cv::resize(Grey("images/skimage_camera.png"), other, known.size(), 0, 0, cv::INTER_AREA);
  cv::Mat out = known.clone();
  const cv::Rect right(known.cols / 2, 0, known.cols - known.cols / 2, known.rows);
  other(right).copyTo(out(right));
  return out;
}

// The matches of a query `look_bits` from the known photo's code, whose fitted
// transform maps it to a picture `aligned_bits` from it; `aligned_calls`
// counts the times the aligned PDQ was asked for.
std::vector<Match> MatchWith(int look_bits, int aligned_bits, int* aligned_calls) {
  const cv::Mat known = Grey("known/coffee.jpg");
  const cv::Mat query_pixels = HalfReplaced(known);
  std::mt19937_64 rng(7);
  const Code code = testing::RandomCode(rng);
  OneKnownPhoto source(code, signals::SerializeLocalFeatures(signals::ExtractLocalFeatures(known)));

  Signal pdq;
  pdq.type = "pdq";
  const Code look = testing::FlipBits(code, look_bits, rng);
  pdq.hash.assign(look.begin(), look.end());
  pdq.quality = 100;
  PhotoQuery query;
  query.pdq = &pdq;
  *aligned_calls = 0;
  query.features = [&](const ImageView* view, int max_features) {
    CHECK(view == nullptr);
    return absl::StatusOr<signals::LocalFeatures>(
        signals::ExtractLocalFeatures(query_pixels, max_features));
  };
  query.aligned_pdq = [&](const ImageView*, const cv::Mat&, int, int) {
    ++*aligned_calls;
    return absl::StatusOr<Code>(testing::FlipBits(code, aligned_bits, rng));
  };
  std::vector<std::string> warnings;
  std::vector<Match> out = MatchPhoto(query, source, FrameMatchOptions(), &warnings);
  CHECK(warnings.empty());
  return out;
}

TEST_CASE("A confirmed candidate whose aligned picture agrees is verified", "[match][photo]") {
  int aligned_calls = 0;
  const std::vector<Match> m = MatchWith(/*look_bits=*/80, /*aligned_bits=*/20, &aligned_calls);
  CHECK(aligned_calls == 1);
  REQUIRE(m.size() == 1);
  CHECK(m[0].item == 7);
  CHECK(m[0].stage == "verified");
  CHECK(m[0].distance == 80);
  CHECK(m[0].inliers >= MatchOptions().min_inliers);
}

TEST_CASE(
    "A confirmed candidate is verified when the look agrees as it is but the fitted model "
    "is off",
    "[match][photo]") {
  // Repeated structure (a grid, a screw thread): the largest RANSAC
  // consensus can be a shifted model while the query itself is close.
  int aligned_calls = 0;
  const std::vector<Match> m = MatchWith(/*look_bits=*/50, /*aligned_bits=*/130, &aligned_calls);
  CHECK(aligned_calls == 0);  // the look as it is settled it: no warping
  REQUIRE(m.size() == 1);
  CHECK(m[0].item == 7);
  CHECK(m[0].stage == "verified");
  CHECK(m[0].distance == 50);
  CHECK(m[0].inliers >= MatchOptions().min_inliers);
}

TEST_CASE(
    "Keypoints agreeing on part of the picture are not a match when neither the look nor "
    "its aligned picture agrees as a whole",
    "[match][photo]") {
  // Two screenshots of one app around different photos: the window agrees.
  // (The aligned PDQ was asked for: the keypoints had confirmed them.)
  int aligned_calls = 0;
  CHECK(MatchWith(/*look_bits=*/80, /*aligned_bits=*/120, &aligned_calls).empty());
  CHECK(aligned_calls == 1);
  CHECK(MatchWith(/*look_bits=*/kAlignedThreshold + 1, /*aligned_bits=*/kAlignedThreshold + 1,
                  &aligned_calls)
            .empty());
  CHECK(aligned_calls == 1);
}

}  // namespace
}  // namespace hashwatch::match
