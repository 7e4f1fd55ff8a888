// MatchPhoto: the match stage for a photo query, in steps, each of which
// MatchOptions can switch off (docs/robustness.md measures what each earns):
//   "pdq"       the whole query (and its dihedral variants) within
//               `threshold` of a known image's hash or a known video's frame
//               (MatchFrames);
//   "border",   a view of the query (the picture inside its borders, or a
//   "canvas"    picture inside a screenshot) within `threshold`;
//   "region"    the query or one of its views within `threshold` of a
//               stored view of a known image (a crop of it);
//   "verified"  a known image no step found, but within `verify_threshold`
//               of the query or one of its views, confirmed by local
//               features (match/local_verifier.h). At most kMaxVerified
//               candidates per query are verified, nearest first.
// An item is reported once, by the first step in that order that found it.
//
// Thread safety: as MatchFrames; `features` is called at most once.
#ifndef HASHWATCH_MATCH_PHOTO_MATCHER_H_
#define HASHWATCH_MATCH_PHOTO_MATCHER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hashwatch/signal.h"
#include "match/frame_matcher.h"

namespace hashwatch::match {

inline constexpr int kMaxVerified = 8;

struct PhotoQuery {
  const Signal* pdq = nullptr;                    // the whole query, with variants
  const std::vector<ImageView>* views = nullptr;  // may be null
  // The query's serialised local features, computed on demand (a second
  // decode); only called when a candidate needs verifying.
  std::function<absl::StatusOr<std::vector<uint8_t>>()> features;
};

// Matches nearest first (ties by item). Problems that cost only the
// verification (a damaged stored blob) go to `warnings`.
std::vector<Match> MatchPhoto(const PhotoQuery& query, const CandidateSource& source,
                              const FrameMatchOptions& options, std::vector<std::string>* warnings);

}  // namespace hashwatch::match

#endif  // HASHWATCH_MATCH_PHOTO_MATCHER_H_
