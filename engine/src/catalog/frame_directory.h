// FrameDirectory: for each indexed frame of a known video (keyed by its
// signal id, which is what the frame index holds), its item, its run of the
// video's timeline and whether it is a stored view of that frame (a region:
// signals/image_views.h); and for each known video, its frames and its last
// moment. In memory, so a frame hit can be placed in time without SQLite.
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
  double start = 0;   // seconds
  double end = 0;     // seconds (== start for a single sample)
  int samples = 1;    // sampled moments in the run
  bool view = false;  // a stored view of the frame, not the whole frame
};

class FrameDirectory {
 public:
  // Largest signal id accepted (the index holds < 2^31 codes).
  static constexpr int64_t kMaxSignalId = (int64_t{1} << 31) - 1;

  // Records a frame. InvalidArgument for an id outside 1..kMaxSignalId.
  absl::Status Set(int64_t signal, const FrameRef& frame);
  std::optional<FrameRef> Lookup(int64_t signal) const;
  // The latest frame end recorded for a video item, seconds (0 when unknown).
  double ItemEnd(int64_t item) const;
  // The frames of a video item whose run overlaps [t0, t1], as signal ids
  // (views included).
  std::vector<int64_t> FramesBetween(int64_t item, double t0, double t1) const;
  size_t size() const;

 private:
  struct Packed {
    uint32_t item = 0;  // 0: no frame
    float start = 0;
    float end = 0;
    uint32_t samples : 31 = 0;
    uint32_t view : 1 = 0;
  };
  mutable std::shared_mutex mu_;
  std::vector<Packed> frames_;  // by signal id
  absl::flat_hash_map<int64_t, double> item_end_;
  absl::flat_hash_map<int64_t, std::vector<int64_t>> item_frames_;  // signal ids
  size_t count_ = 0;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_FRAME_DIRECTORY_H_
