#include "input_paths.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace hashwatch::cli {
namespace fs = std::filesystem;
namespace {

// A path is at most PATH_MAX (4096) bytes; a longer line is no path.
constexpr size_t kMaxLine = 64 * 1024;
// How often a wait for standard input looks at the stop request.
constexpr int kPollMs = 100;

// Lists `dir` and, depth first, its subfolders (not following symlinked
// folders, so a link cannot make a cycle). Entries are visited in name order.
// A folder that cannot be listed (permissions, I/O error, too many open
// files) becomes an input with an error, so the command reports it and
// exits 1 rather than silently scanning less than asked.
void WalkFolder(const fs::path& dir, std::deque<InputPath>& out) {
  std::error_code ec;
  std::vector<fs::directory_entry> entries;
  fs::directory_iterator it(dir, ec);
  for (; !ec && it != fs::directory_iterator(); it.increment(ec)) entries.push_back(*it);
  if (ec) {
    // Worded like the engine's per-file errors: "<path>: <what went wrong>".
    out.push_back({dir.string(), dir.string() + ": cannot list folder: " + ec.message()});
    return;
  }
  std::sort(entries.begin(), entries.end(),
            [](const fs::directory_entry& a, const fs::directory_entry& b) {
              return a.path() < b.path();
            });
  for (const fs::directory_entry& e : entries) {
    std::error_code type_ec;
    if (e.is_directory(type_ec) && !e.is_symlink(type_ec)) {
      WalkFolder(e.path(), out);
    } else if (e.is_regular_file(type_ec)) {
      out.push_back({e.path().string(), ""});
    }
  }
}

void AddPath(const std::string& arg, std::deque<InputPath>& out) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    WalkFolder(arg, out);
  } else {
    out.push_back({arg, ""});  // a missing file is reported when it is read
  }
}

}  // namespace

InputPaths::InputPaths(std::vector<std::string> args, int stdin_fd, std::function<bool()> stop)
    : args_(std::move(args)), stdin_fd_(stdin_fd), stop_(std::move(stop)) {
  if (std::find(args_.begin(), args_.end(), "-") == args_.end()) {
    // Everything is listed now, so progress can show a total.
    for (const std::string& arg : args_) AddPath(arg, pending_);
    next_arg_ = args_.size();
    known_total_ = pending_.size();
  }
}

std::optional<InputPath> InputPaths::Next() {
  for (;;) {
    if (stop_ && stop_()) return std::nullopt;
    if (!pending_.empty()) {
      InputPath next = std::move(pending_.front());
      pending_.pop_front();
      return next;
    }
    if (reading_stdin_) {
      if (!FillFromStdin()) reading_stdin_ = false;
      continue;
    }
    if (next_arg_ >= args_.size()) return std::nullopt;
    const std::string& arg = args_[next_arg_++];
    if (arg == "-") {
      reading_stdin_ = true;
    } else {
      AddPath(arg, pending_);
    }
  }
}

// Reads what standard input has (waiting for it, but looking at the stop
// request every kPollMs) and queues the complete lines. False at the end of
// the input (or when stopped): nothing more to read.
bool InputPaths::FillFromStdin() {
  char buf[8192];
  for (;;) {
    if (stop_ && stop_()) return false;
    pollfd p{.fd = stdin_fd_, .events = POLLIN, .revents = 0};
    const int ready = poll(&p, 1, kPollMs);
    if (ready < 0 && errno != EINTR) return false;
    if (ready <= 0) continue;
    const ssize_t n = read(stdin_fd_, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      pending_.push_back(
          {"-", std::string("-: cannot read standard input: ") + std::strerror(errno)});
      return false;
    }
    const bool end = n == 0;
    if (end) buf[0] = '\n';  // a last line without a newline still counts
    const size_t len = end ? (line_.empty() && !skipping_ ? 0 : 1) : static_cast<size_t>(n);
    for (size_t i = 0; i < len; ++i) {
      if (buf[i] != '\n') {
        if (skipping_) continue;
        if (line_.size() >= kMaxLine) {
          pending_.push_back({line_.substr(0, 64) + "...",
                              "standard input: a line longer than 64 KiB is not a path"});
          line_.clear();
          skipping_ = true;
          continue;
        }
        line_.push_back(buf[i]);
        continue;
      }
      if (!skipping_) {
        if (!line_.empty() && line_.back() == '\r') line_.pop_back();
        if (!line_.empty()) AddPath(line_, pending_);
      }
      line_.clear();
      skipping_ = false;
    }
    if (end) return false;  // Next hands out what was queued
    if (!pending_.empty()) return true;
  }
}

}  // namespace hashwatch::cli
