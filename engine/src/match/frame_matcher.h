// MatchFrames: the match stage. A query (a photo = one frame; a video = its
// kept frames) is searched frame by frame in a CandidateSource (the catalog's
// indexes), and the hits become matches:
//   photo query, known photo   -> a match per item at its nearest distance
//                                 (PDQ's usual rule: distance <= threshold);
//   photo query, known video   -> a match per video at its nearest frame,
//                                 with ref_start/ref_end: where in the video;
//   video query, known video   -> time-aligned spans (temporal_aligner.h);
//   video query, known photo   -> runs of query frames showing the photo
//                                 (gaps <= AlignOptions::max_gap).
// Video queries need `min_frames` matched sampled moments per match (fewer
// only when the query has fewer), so a stray frame never matches alone.
//
// Thread safety: pure function of its inputs; the source must be safe for
// concurrent Search calls if MatchFrames runs on several threads.
#ifndef HASHWATCH_MATCH_FRAME_MATCHER_H_
#define HASHWATCH_MATCH_FRAME_MATCHER_H_

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "hashwatch/catalog.h"
#include "hashwatch/signal.h"
#include "match/temporal_aligner.h"

namespace hashwatch::match {

// One known thing within the threshold of a searched code.
struct Candidate {
  int64_t item = 0;
  int distance = 0;
  // For a frame of a known video: its id and run (seconds) and samples.
  bool is_frame = false;
  int64_t frame = 0;
  double ref_start = 0, ref_end = 0;
  int ref_samples = 1;
  // Found through a stored view of that frame (a region of it), not the
  // whole frame.
  bool view = false;
};

// What the match stage needs from the catalog.
class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  // Appends every open (not withdrawn) known image and video frame within
  // `threshold` of the 32-byte code.
  virtual void Search(const uint8_t* code, int threshold, std::vector<Candidate>* out) const = 0;
  // The last frame time of a known video, seconds (0 when unknown).
  virtual double VideoEnd(int64_t item) const = 0;
  // The frames of a known video whose run overlaps [t0, t1] seconds, with
  // their codes (Candidate::distance unused), for comparing query frames
  // directly with the reference at an aligned time.
  virtual void FramesNear(
      int64_t item, double t0, double t1,
      std::vector<std::pair<Candidate, std::array<uint8_t, 32>>>* out) const = 0;
  // The case that owns an item, when it is open.
  virtual std::optional<CaseId> OpenCase(int64_t item) const = 0;
  // Appends every open known image one of whose stored views (a crop of it,
  // the picture inside its borders) is within `threshold` of the code.
  virtual void SearchViews(const uint8_t* code, int threshold, std::vector<Candidate>* out) const {
    (void)code, (void)threshold, (void)out;
  }
  // A known image's own PDQ code (not its views); false when not indexed.
  virtual bool KnownCode(int64_t item, uint8_t* out32) const {
    (void)item, (void)out32;
    return false;
  }
  // The open known images whose embeddings are nearest `vector` (up to k,
  // cosine >= min_score), best first: item and cosine.
  virtual std::vector<std::pair<int64_t, float>> SearchEmbedding(absl::Span<const float> vector,
                                                                 int k, double min_score) const {
    (void)vector, (void)k, (void)min_score;
    return {};
  }
  // A known image's stored local features (signals/local_features.h),
  // serialised; empty when it has none.
  virtual absl::StatusOr<std::vector<uint8_t>> LocalFeatures(int64_t item) const {
    (void)item;
    return std::vector<uint8_t>();
  }
};

// One frame of the query: a photo is one frame of one sample at time 0.
struct QueryFrame {
  double start = 0, end = 0;
  int samples = 1;
  const Signal* pdq = nullptr;  // type "pdq"; variants searched when present
  // A video frame's own views (the picture inside bars that only this part
  // of the video has: a pillarboxed clip in a compilation), searched like
  // the frame when MatchOptions::query_views; hits count for the frame.
  const std::vector<ImageView>* views = nullptr;
};

struct FrameMatchOptions {
  MatchOptions match;
  AlignOptions align;
  // Once a span is aligned, query frames next to it (within align.max_gap)
  // are compared with the reference frames at the aligned time (+-1 s) and
  // join the span within this distance. Only frames of an established
  // timeline qualify, so the looser bound costs no precision: unrelated
  // frames are ~128 bits apart and need to land at the aligned moment too.
  // Recovers the moments a large caption or logo pushes past 31 bits.
  int extend_threshold = 45;
};

// `query_is_video`: false for a photo (exactly one frame). Frames below
// match.min_quality are not searched.
std::vector<Match> MatchFrames(const std::vector<QueryFrame>& frames, bool query_is_video,
                               const CandidateSource& source, const FrameMatchOptions& options);

}  // namespace hashwatch::match

#endif  // HASHWATCH_MATCH_FRAME_MATCHER_H_
