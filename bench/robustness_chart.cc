#include "robustness_chart.h"

#include <algorithm>
#include <cstdio>
#include <opencv2/imgproc.hpp>

namespace hashwatch::bench {
namespace {

constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;

// Okabe & Ito's colour-blind-safe palette (BGR), then greys.
const cv::Scalar kPalette[] = {
    {178, 114, 0},   {0, 159, 230},  {115, 158, 0},  {0, 94, 213},
    {167, 121, 204}, {233, 180, 86}, {66, 228, 240}, {90, 90, 90},
};

int TextWidth(const std::string& s, double scale, int thickness) {
  int baseline = 0;
  return cv::getTextSize(s, kFont, scale, thickness, &baseline).width;
}

void Put(cv::Mat& img, const std::string& s, cv::Point org, double scale, int thickness,
         cv::Scalar colour = cv::Scalar::all(20)) {
  cv::putText(img, s, org, kFont, scale, colour, thickness, cv::LINE_AA);
}

}  // namespace

cv::Mat DrawBarChart(const BarChart& chart) {
  const int width = std::max(600, chart.width);
  const int n_series = std::max<int>(1, static_cast<int>(chart.series.size()));
  const int bar_h = 13, bar_gap = 2, group_gap = 16;
  const int group_h = n_series * (bar_h + bar_gap) - bar_gap;
  const double label_scale = 0.62, value_scale = 0.45;

  int label_w = 0;
  for (const std::string& g : chart.groups)
    label_w = std::max(label_w, TextWidth(g, label_scale, 1));
  const int left = 24 + label_w + 16, right = width - 70;

  // Header: title, notes, legend (wrapped), axis labels.
  int y = 44;
  const int title_y = y;
  y += 12 + 26 * static_cast<int>(chart.notes.size());
  std::vector<std::pair<cv::Point, int>> legend;  // position, series
  int lx = 24;
  y += 30;
  for (int i = 0; i < static_cast<int>(chart.series.size()); ++i) {
    const int w = 28 + TextWidth(chart.series[i].name, 0.65, 1) + 32;
    if (lx + w > width - 24) {
      lx = 24;
      y += 30;
    }
    legend.push_back({cv::Point(lx, y), i});
    lx += w;
  }
  const int axis_y = y + 44;
  const int plot_top = axis_y + 12;
  const int n_groups = static_cast<int>(chart.groups.size());
  const int plot_bottom = plot_top + n_groups * (group_h + group_gap);
  const int height = plot_bottom + 44;

  cv::Mat img(height, width, CV_8UC3, cv::Scalar::all(255));
  Put(img, chart.title, cv::Point(24, title_y), 0.9, 2);
  for (size_t i = 0; i < chart.notes.size(); ++i) {
    Put(img, chart.notes[i], cv::Point(24, title_y + 34 + 26 * static_cast<int>(i)), 0.55, 1,
        cv::Scalar::all(70));
  }
  for (const auto& [p, i] : legend) {
    cv::rectangle(img, cv::Rect(p.x, p.y - 15, 22, 18), kPalette[i % std::size(kPalette)],
                  cv::FILLED);
    Put(img, chart.series[i].name, cv::Point(p.x + 30, p.y), 0.65, 1);
  }

  auto x_of = [&](double percent) {
    return left +
           static_cast<int>(std::lround((right - left) * std::clamp(percent, 0.0, 100.0) / 100.0));
  };
  // Zebra rows, then the grid over them, then bars over the grid.
  for (int g = 0; g < n_groups; ++g) {
    const int top = plot_top + g * (group_h + group_gap);
    if (g % 2 == 0) {
      cv::rectangle(img, cv::Rect(16, top - group_gap / 2, width - 32, group_h + group_gap),
                    cv::Scalar::all(244), cv::FILLED);
    }
  }
  for (int p = 0; p <= 100; p += 10) {
    const int x = x_of(p);
    cv::line(img, cv::Point(x, plot_top - 6), cv::Point(x, plot_bottom),
             p % 50 == 0 ? cv::Scalar::all(150) : cv::Scalar::all(215), 1);
    char buf[8];
    std::snprintf(buf, sizeof(buf), "%d%%", p);
    const int tw = TextWidth(buf, 0.55, 1);
    Put(img, buf, cv::Point(x - tw / 2, axis_y), 0.55, 1, cv::Scalar::all(60));
    Put(img, buf, cv::Point(x - tw / 2, plot_bottom + 26), 0.55, 1, cv::Scalar::all(60));
  }
  for (int g = 0; g < n_groups; ++g) {
    const int top = plot_top + g * (group_h + group_gap);
    int baseline = 0;
    const cv::Size ts = cv::getTextSize(chart.groups[g], kFont, label_scale, 1, &baseline);
    Put(img, chart.groups[g], cv::Point(left - 16 - ts.width, top + group_h / 2 + ts.height / 2),
        label_scale, 1);
    for (int s = 0; s < static_cast<int>(chart.series.size()); ++s) {
      const std::vector<double>& v = chart.series[s].values;
      if (g >= static_cast<int>(v.size()) || v[g] < 0) continue;
      const int by = top + s * (bar_h + bar_gap);
      const int x1 = std::max(left + 1, x_of(v[g]));
      cv::rectangle(img, cv::Rect(left, by, x1 - left, bar_h), kPalette[s % std::size(kPalette)],
                    cv::FILLED);
      char buf[16];
      std::snprintf(buf, sizeof(buf), "%.1f", v[g]);
      Put(img, buf, cv::Point(x1 + 4, by + bar_h - 2), value_scale, 1, cv::Scalar::all(40));
    }
  }
  cv::line(img, cv::Point(left, plot_top - 6), cv::Point(left, plot_bottom), cv::Scalar::all(40),
           2);
  return img;
}

}  // namespace hashwatch::bench
