// FrameDirectory: for each indexed frame of a known video (keyed by its
// signal id, which is what the frame index holds), its item and its run of
// the video's timeline; and for each known video, how many sampled moments
// it has. In memory, so a frame hit can be placed in time without SQLite.
//
// Signal ids are SQLite rowids, dense from 1 (never deleted), so frames live
// in a vector indexed by id: 16 bytes a signal, 160 MB at 10M.
//
// Thread safety: every method may be called from many threads at once;
// lookups take a shared lock, changes an exclusive one.
#ifndef HASHWATCH_CATALOG_FRAME_DIRECTORY_H_
#define HASHWATCH_CATALOG_FRAME_DIRECTORY_H_

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace hashwatch::catalog {

struct FrameRef {
  int64_t item = 0;
  double start = 0;  // seconds
  double end = 0;    // seconds (== start for a single sample)
  int samples = 1;   // sampled moments in the run
};

class FrameDirectory {
 public:
  // Largest signal id accepted (the index holds < 2^31 codes).
  static constexpr int64_t kMaxSignalId = (int64_t{1} << 31) - 1;

  // Records a frame; also adds its samples to its item's total.
  // InvalidArgument for an id outside 1..kMaxSignalId.
  absl::Status Set(int64_t signal, const FrameRef& frame);
  std::optional<FrameRef> Lookup(int64_t signal) const;
  // Sampled moments recorded for a video item (0 when unknown).
  int64_t ItemSamples(int64_t item) const;
  // The latest frame end recorded for a video item, seconds (0 when unknown).
  double ItemEnd(int64_t item) const;
  // The frames of a video item whose run overlaps [t0, t1], as signal ids.
  std::vector<int64_t> FramesBetween(int64_t item, double t0, double t1) const;
  size_t size() const;

 private:
  struct Packed {
    uint32_t item = 0;  // 0: no frame
    float start = 0;
    float end = 0;
    uint32_t samples = 0;
  };
  mutable std::shared_mutex mu_;
  std::vector<Packed> frames_;  // by signal id
  absl::flat_hash_map<int64_t, int64_t> item_samples_;
  absl::flat_hash_map<int64_t, double> item_end_;
  absl::flat_hash_map<int64_t, std::vector<int64_t>> item_frames_;  // signal ids
  size_t count_ = 0;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_FRAME_DIRECTORY_H_
