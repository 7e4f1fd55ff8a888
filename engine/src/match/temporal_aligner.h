// AlignFrameHits: frame-level index hits between a query and the known
// references -> aligned spans (which part of the query shows which part of
// which reference). This is where a video match is decided.
//
// Input: every (query frame, reference frame) pair whose PDQ hashes matched.
// A frame is a run of near-identical samples with a start and an end time
// (VideoFrame); a photo is a frame of one sample at time 0.
//
// Method: hits are grouped by reference; within one reference, the best
// chain of hits is found by dynamic programming, where a hit may follow
// another when both timelines move forward consistently: the reference time
// elapsed is the query time elapsed at a speed between 1/max_speed and
// max_speed (so a copy sped up or slowed down by up to 1.25x still aligns),
// within `tolerance` seconds (sampling phase and run lengths), and the query
// gap between them is at most `max_gap` seconds (dropped or replaced frames).
// A chain's score is the number of query sampled moments it covers (a run
// counts its samples), ties broken by smaller distances. The best chain
// becomes a span, its query frames are removed, and the search repeats, so a
// compilation that shows two parts of one reference gives two spans.
//
// Precision: a span counts only with at least `min_samples` matched query
// moments (docs/video.md gives the measurements behind the default), so a
// single stray frame hit never makes a match on its own; the caller lowers
// it for queries that have fewer moments than that (a photo, a 2-second clip).
//
// Thread safety: pure function.
#ifndef HASHWATCH_MATCH_TEMPORAL_ALIGNER_H_
#define HASHWATCH_MATCH_TEMPORAL_ALIGNER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/types/span.h"

namespace hashwatch::match {

struct FrameHit {
  int64_t ref = 0;         // the reference (an item id)
  int query_frame = 0;     // index of the query's frame
  double query_start = 0;  // the query frame's run, seconds
  double query_end = 0;
  int query_samples = 1;  // sampled moments in the query frame's run
  int64_t ref_frame = 0;  // the reference frame's id (one per run)
  double ref_start = 0;   // the reference frame's run, seconds
  double ref_end = 0;
  int ref_samples = 1;
  int distance = 0;  // PDQ Hamming distance
};

struct AlignOptions {
  double max_speed = 1.3;  // largest ratio between the two timelines' speeds
  double max_gap = 10.0;   // seconds of query between two hits of one span
  double tolerance = 1.5;  // seconds of timing slack
  int min_samples = 3;     // matched query moments for a span to count
};

struct AlignedSpan {
  int64_t ref = 0;
  double query_start = 0, query_end = 0;  // seconds
  double ref_start = 0, ref_end = 0;      // seconds
  int matched_samples = 0;                // query moments matched
  int median_distance = 0;
  std::vector<size_t> hits;  // indices of the hits used, into the input
};

// Spans with at least options.min_samples matched moments, best first
// (most moments, then smaller median distance, then ref, then query start).
std::vector<AlignedSpan> AlignFrameHits(absl::Span<const FrameHit> hits,
                                        const AlignOptions& options);

}  // namespace hashwatch::match

#endif  // HASHWATCH_MATCH_TEMPORAL_ALIGNER_H_
