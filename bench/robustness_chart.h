// A horizontal grouped bar chart drawn with OpenCV (no plotting library in
// Debian's C++ stack that we already depend on): one group of bars per row
// label, one colour per series, values 0-100 (percent), a legend and a 0-100%
// axis, for `hashwatch-bench robustness` (robustness.png).
#ifndef HASHWATCH_BENCH_ROBUSTNESS_CHART_H_
#define HASHWATCH_BENCH_ROBUSTNESS_CHART_H_

#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace hashwatch::bench {

struct BarSeries {
  std::string name;
  std::vector<double> values;  // percent, one per group; negative: no bar
};

struct BarChart {
  std::string title;
  std::vector<std::string> notes;   // smaller lines under the title
  std::vector<std::string> groups;  // row labels, top to bottom
  std::vector<BarSeries> series;    // in legend order, top to bottom in a group
  int width = 1600;                 // pixels; the height follows from the rows
};

// 8-bit BGR image of the chart; write it with cv::imwrite.
cv::Mat DrawBarChart(const BarChart& chart);

}  // namespace hashwatch::bench

#endif  // HASHWATCH_BENCH_ROBUSTNESS_CHART_H_
