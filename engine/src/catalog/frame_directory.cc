#include "catalog/frame_directory.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace hashwatch::catalog {

absl::Status FrameDirectory::Set(int64_t signal, const FrameRef& frame) {
  if (signal < 1 || signal > kMaxSignalId || frame.item < 1 || frame.item > UINT32_MAX) {
    return absl::InvalidArgumentError(
        absl::StrCat("frame ", signal, " of item ", frame.item, " is beyond the directory"));
  }
  std::unique_lock lock(mu_);
  const size_t i = static_cast<size_t>(signal);
  if (frames_.size() <= i) {
    frames_.resize(std::max(i + 1, frames_.size() + frames_.size() / 2));
  }
  Packed& p = frames_[i];
  if (p.item == 0) {
    ++count_;
    item_frames_[frame.item].push_back(signal);
  }
  p.item = static_cast<uint32_t>(frame.item);
  p.start = static_cast<float>(frame.start);
  p.end = static_cast<float>(frame.end);
  p.samples = static_cast<uint32_t>(std::max(1, frame.samples)) & 0x7fffffffu;
  p.view = frame.view ? 1 : 0;
  double& end = item_end_[frame.item];
  end = std::max(end, frame.end);
  return absl::OkStatus();
}

std::optional<FrameRef> FrameDirectory::Lookup(int64_t signal) const {
  std::shared_lock lock(mu_);
  if (signal < 1 || static_cast<size_t>(signal) >= frames_.size()) return std::nullopt;
  const Packed& p = frames_[static_cast<size_t>(signal)];
  if (p.item == 0) return std::nullopt;
  return FrameRef{p.item, p.start, p.end, static_cast<int>(p.samples), p.view != 0};
}

double FrameDirectory::ItemEnd(int64_t item) const {
  std::shared_lock lock(mu_);
  auto it = item_end_.find(item);
  return it == item_end_.end() ? 0 : it->second;
}

std::vector<int64_t> FrameDirectory::FramesBetween(int64_t item, double t0, double t1) const {
  std::shared_lock lock(mu_);
  std::vector<int64_t> out;
  auto it = item_frames_.find(item);
  if (it == item_frames_.end()) return out;
  for (int64_t signal : it->second) {
    const Packed& p = frames_[static_cast<size_t>(signal)];
    if (p.end >= t0 && p.start <= t1) out.push_back(signal);
  }
  return out;
}

size_t FrameDirectory::size() const {
  std::shared_lock lock(mu_);
  return count_;
}

}  // namespace hashwatch::catalog
