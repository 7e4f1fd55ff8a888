// Test images for the robustness steps that the benchmark's transforms do
// not make: a drawn app window around a photo (two screenshots of one app
// share everything but the photo).
#ifndef HASHWATCH_TESTS_ROBUSTNESS_TEST_SUPPORT_H_
#define HASHWATCH_TESTS_ROBUSTNESS_TEST_SUPPORT_H_

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

namespace hashwatch::testing {

// A drawn app window: the same title bar, side bar and text every time,
// around a different photo.
inline cv::Mat AppScreenshot(const cv::Mat& photo) {
  cv::Mat page(720, 1000, CV_8UC3, cv::Scalar(245, 245, 245));
  cv::rectangle(page, {0, 0, 1000, 64}, cv::Scalar(90, 60, 30), cv::FILLED);
  cv::putText(page, "PhotoShare - Inbox - Settings - Help", {20, 42}, cv::FONT_HERSHEY_SIMPLEX, 1.0,
              cv::Scalar(255, 255, 255), 2);
  cv::rectangle(page, {0, 64, 240, 656}, cv::Scalar(225, 228, 232), cv::FILLED);
  for (int i = 0; i < 12; ++i) {
    cv::putText(page, "Conversation " + std::to_string(i + 1), {16, 110 + 48 * i},
                cv::FONT_HERSHEY_SIMPLEX, 0.7, cv::Scalar(40, 40, 40), 2);
    cv::circle(page, {220, 104 + 48 * i}, 8, cv::Scalar(30, 120, 220), cv::FILLED);
  }
  cv::Mat sized;
  cv::resize(photo, sized, {700, 520}, 0, 0, cv::INTER_AREA);
  sized.copyTo(page(cv::Rect(270, 100, 700, 520)));
  cv::putText(page, "Sent 14:02 - seen", {270, 660}, cv::FONT_HERSHEY_SIMPLEX, 0.7,
              cv::Scalar(90, 90, 90), 2);
  return page;
}

}  // namespace hashwatch::testing

#endif  // HASHWATCH_TESTS_ROBUSTNESS_TEST_SUPPORT_H_
