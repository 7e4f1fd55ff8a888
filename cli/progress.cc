#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace hashwatch::cli {

Progress::Progress(std::string label, size_t total)
    : label_(std::move(label)),
      total_(total),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_() {}

Progress::~Progress() {
  if (enabled_) std::fputs("\r\033[K", stderr);
}

void Progress::Update(size_t done, size_t failed) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? done / secs : 0;
  if (total_ == 0) {  // paths arriving on stdin: no total to show against
    std::fprintf(stderr, "\r\033[K%s: %zu files, %zu failed, %.1f files/s", label_.c_str(), done,
                 failed, rate);
    std::fflush(stderr);
    return;
  }
  const int width = 30;
  const int filled = total_ ? static_cast<int>(width * done / total_) : width;
  std::string bar(filled, '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r\033[K%s [%s] %zu/%zu files, %zu failed, %.1f files/s", label_.c_str(),
               bar.c_str(), done, total_, failed, rate);
  if (total_ > done && rate > 0) std::fprintf(stderr, ", %.0f s left", (total_ - done) / rate);
  std::fflush(stderr);
}

}  // namespace hashwatch::cli
