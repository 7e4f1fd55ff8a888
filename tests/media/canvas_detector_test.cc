// FindPictureRects: a picture shown inside a larger canvas is found as its
// rectangle, also where it differs from the page by a few grey levels only
// (an object photographed on white, shown on a light page), and inside a
// chat bubble; a page of text and flat panels has no picture.
#include "media/canvas_detector.h"

#include <catch2/catch.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "test_support.h"

namespace hashwatch::media {
namespace {

// A photographed object on a white background: a textured disc and a
// handle on 255, the frame's edge itself white.
cv::Mat ObjectOnWhite(cv::Size size) {
  cv::Mat pic(size, CV_8UC1, cv::Scalar(255));
  cv::Mat texture(size, CV_8UC1);
  cv::randu(texture, 40, 200);
  cv::GaussianBlur(texture, texture, {5, 5}, 1.5);
  cv::Mat mask = cv::Mat::zeros(size, CV_8UC1);
  cv::circle(mask, {size.width / 2, size.height / 2}, size.height / 3, 255, cv::FILLED);
  cv::rectangle(mask, {size.width / 2, size.height / 2 - 8, size.width / 3, 16}, 255, cv::FILLED);
  texture.copyTo(pic, mask);
  return pic;
}

void Text(cv::Mat& page, int y) {
  cv::putText(page, "shared via the app today", {30, y}, cv::FONT_HERSHEY_SIMPLEX, 0.7, 70, 1,
              cv::LINE_AA);
}

bool Near(const cv::Rect& a, const cv::Rect& b, int px) {
  return std::abs(a.x - b.x) <= px && std::abs(a.y - b.y) <= px &&
         std::abs(a.br().x - b.br().x) <= px && std::abs(a.br().y - b.br().y) <= px;
}

bool AnyNear(const std::vector<cv::Rect>& found, const cv::Rect& want, int px) {
  for (const cv::Rect& r : found) {
    if (Near(r, want, px)) return true;
  }
  return false;
}

TEST_CASE("An object on white shown on a light page is found as its picture", "[canvas]") {
  // Page 250, picture 255: Canny sees no edge, the flat page does.
  cv::Mat page(360, 512, CV_8UC1, cv::Scalar(250));
  cv::rectangle(page, {0, 0, 512, 26}, cv::Scalar(120), cv::FILLED);
  const cv::Rect at(20, 50, 220, 160);
  ObjectOnWhite(at.size()).copyTo(page(at));
  for (int y = 240; y < 340; y += 14) Text(page, y);
  const std::vector<cv::Rect> found = FindPictureRects(page, 3);
  INFO("found " << found.size());
  CHECK(AnyNear(found, at, 2));
}

TEST_CASE("A picture in a chat bubble is found, in the bubble or alone", "[canvas]") {
  cv::Mat page(512, 288, CV_8UC1, cv::Scalar(229));
  cv::rectangle(page, {0, 0, 288, 48}, cv::Scalar(110), cv::FILLED);
  const cv::Rect at(120, 100, 150, 100);
  cv::rectangle(page, {at.x - 5, at.y - 5, at.width + 10, at.height + 10}, cv::Scalar(233),
                cv::FILLED);
  cv::Mat photo =
      cv::imread((testing::TestdataDir() / "known" / "coffee.jpg").string(), cv::IMREAD_GRAYSCALE);
  REQUIRE(!photo.empty());
  cv::resize(photo, page(at), at.size(), 0, 0, cv::INTER_AREA);
  const std::vector<cv::Rect> found = FindPictureRects(page, 3);
  const cv::Rect bubble(at.x - 5, at.y - 5, at.width + 10, at.height + 10);
  CHECK((AnyNear(found, at, 2) || AnyNear(found, bubble, 2)));
}

TEST_CASE("Text and flat panels are not pictures", "[canvas]") {
  cv::Mat page(360, 512, CV_8UC1, cv::Scalar(250));
  cv::rectangle(page, {0, 0, 512, 26}, cv::Scalar(120), cv::FILLED);
  cv::rectangle(page, {300, 60, 180, 120}, cv::Scalar(225), cv::FILLED);  // an ad block
  for (int y = 60; y < 340; y += 14) Text(page, y);
  CHECK(FindPictureRects(page, 3).empty());
}

}  // namespace
}  // namespace hashwatch::media
