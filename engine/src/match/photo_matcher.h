// MatchPhoto: the match stage for a photo query, in steps, each of which
// MatchOptions can switch off (docs/robustness.md measures what each earns):
//   "pdq"       the whole query (and its dihedral variants) within
//               `threshold` of a known image's hash or a known video's frame
//               (MatchFrames);
//   "border",   a view of the query (the picture inside its borders, a
//   "canvas",   picture inside a screenshot, the query turned back by a few
//   "rotated"   degrees) within `threshold`;
//   "region"    the query or one of its views within `threshold` of a
//               stored view of a known image (a crop of it);
//   "verified"  a known image no step found, but within `verify_threshold`
//               of the query or one of its views, confirmed by local
//               features (match/local_verifier.h), then checked as a
//               whole: the query, mapped onto the known image by the
//               fitted transform, must have a PDQ within kAlignedThreshold
//               of the known image's (or the look as it is must: on
//               repeated structure the fitted model can be shifted), or the
//               keypoints must agree all over it (kOverlaySpread).
//               Keypoints can agree on a shared part only (two screenshots
//               of one app: its window); the whole-picture PDQ sees that
//               the rest differs. At most kMaxVerified
//               candidates per query are verified, nearest first; then
//               the known images nearest the query's embedding (when it has
//               one: MatchOptions::embedding), confirmed the same way but
//               with kEmbeddingMinInliers, and reported with signal
//               "embedding" and their cosine `score` (also when PDQ's band
//               had them too).
// An item is reported once, by the step that found it nearest (the first on
// ties), and "verified" only when no other step found it.
//
// Thread safety: as MatchFrames; `features` is called from the calling
// thread only.
#ifndef HASHWATCH_MATCH_PHOTO_MATCHER_H_
#define HASHWATCH_MATCH_PHOTO_MATCHER_H_

#include <array>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "hashwatch/signal.h"
#include "match/frame_matcher.h"
#include "signals/local_features.h"

namespace hashwatch::match {

inline constexpr int kMaxVerified = 8;
// True copies measured 2-32 bits aligned (crops, rotations, screenshots),
// more under a heavy watermark (which alone moves PDQ 34-90); two
// screenshots of one app around different photos 106-124. The look's own
// PDQ counts as well as the aligned one: on repeated structure (a sudoku
// grid, a bulb's screw thread) RANSAC's largest consensus can be a shifted
// or squashed model (measured: y-scale 0.67, aligned PDQ 130 for a copy
// whose own PDQ was 44 bits away), and the look as it is already agrees as a
// whole. Measured (docs/robustness.md): watermark 98.9 -> 99.2%, its
// combination with resizing and JPEG 95.0 -> 95.5%, the same false pairs.
inline constexpr int kAlignedThreshold = 64;
// Two looks of a query whose rectangles overlap by at least this share of
// their union are verified with one set of local features (the first's).
inline constexpr double kSameLookOverlap = 0.9;
// A candidate the embedding proposes (one of the known images nearest the
// query's embedding, whether or not PDQ's band found it too) has independent
// evidence of being the same picture, so fewer keypoints need to agree: a
// heavy watermark's letters take most of them. The aligned-PDQ check stays
// as it is. Measured (docs/embedding.md): watermark 82.1 -> 84.9%, 0 false
// pairs; letting the aligned check go to 96 bits as well gained 0.6 more and
// was not kept.
inline constexpr int kEmbeddingMinInliers = 10;
// ... unless keypoints agree all over the known image: a logo or caption
// laid over a copy moves its PDQ (58 bits measured for a corner logo) but
// leaves keypoints agreeing in every cell, where two screenshots of one app
// agree only on the window (spread 0.40-0.47 measured).
inline constexpr double kOverlaySpread = 0.75;
inline constexpr int kOverlayInlierFactor = 3;
// The query's keypoints, more than a known image stores (which costs
// nothing to store): each known keypoint then finds its counterpart more
// often. An overlay's high-contrast corners (a watermark's letters) take
// most of them, so a candidate that fails with kQueryFeatures but is within
// kDenseRetryDistance of the query (a PDQ distance unrelated photos seldom
// reach: 43 of 4,532 failed verifications of distractors, while a heavy
// watermark alone moves PDQ 34-90) is tried again with kDenseQueryFeatures,
// extracted once per look. Measured on the robustness bench
// (docs/robustness.md): watermark 94.4 -> 98.9%, its combination with
// resizing and JPEG 88.5 -> 95.0%, no false pair, the mean query cost
// nearly unchanged; taking the dense set for every query instead reached
// 98.0% at 15% more cost.
inline constexpr int kQueryFeatures = 4 * signals::kMaxFeatures;
inline constexpr int kDenseQueryFeatures = 16 * signals::kMaxFeatures;
inline constexpr int kDenseRetryDistance = 80;

struct PhotoQuery {
  const Signal* pdq = nullptr;                    // the whole query, with variants
  const std::vector<ImageView>* views = nullptr;  // may be null
  const std::vector<float>* embedding = nullptr;  // may be null or empty
  // The local features of the whole query (view == nullptr) or of one of
  // its views, at most `max_features` keypoints (kQueryFeatures or
  // kDenseQueryFeatures), computed on demand from the query's pixels; only
  // called when a candidate needs verifying, at most once per distinct
  // picture and count (looks showing the same pixels share one call).
  std::function<absl::StatusOr<signals::LocalFeatures>(const ImageView* view, int max_features)>
      features;
  // The PDQ of the same look (the pixels its features came from) mapped
  // into a known image's frame: `to_query` maps the known image's analysed
  // pixels (width x height) to the look's; what falls outside the look
  // repeats its edge. Only called after `features` for the same view, and
  // only when neither the keypoints nor the look as it is settle the
  // whole-picture check.
  std::function<absl::StatusOr<std::array<uint8_t, 32>>(
      const ImageView* view, const cv::Mat& to_query, int width, int height)>
      aligned_pdq;
};

// Matches nearest first (ties by item). Problems that cost only the
// verification (a damaged stored blob) go to `warnings`.
std::vector<Match> MatchPhoto(const PhotoQuery& query, const CandidateSource& source,
                              const FrameMatchOptions& options, std::vector<std::string>* warnings);

}  // namespace hashwatch::match

#endif  // HASHWATCH_MATCH_PHOTO_MATCHER_H_
