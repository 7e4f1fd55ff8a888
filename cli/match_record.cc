#include "match_record.h"

#include <cmath>

namespace hashwatch::cli {
namespace {

// What a video query adds to its file's record.
void AddVideoFields(Record& r, const MatchResult& result) {
  if (!result.video) return;
  r["media"] = "video";
  r["duration"] = std::round(result.duration * 1000) / 1000;
  r["samples"] = result.samples;
}

}  // namespace

Record MatchRecord(const Match& m) {
  Record r;
  r["case"] = m.case_id;
  r["item"] = m.item;
  r["signal"] = m.signal;
  r["distance"] = m.distance;
  r["variant"] = std::string(DihedralName(m.variant));
  r["stage"] = m.stage;
  if (m.stage == "verified") r["inliers"] = m.inliers;
  if (m.signal == "embedding") r["score"] = std::round(m.score * 1000) / 1000;
  if (m.span.has_value()) {
    const MatchSpan& s = *m.span;
    // Seconds, to the millisecond.
    auto sec = [](double t) { return std::round(t * 1000) / 1000; };
    if (s.query_is_video) {
      r["query_start"] = sec(s.query_start);
      r["query_end"] = sec(s.query_end);
    }
    if (s.ref_is_video) {
      r["ref_start"] = sec(s.ref_start);
      r["ref_end"] = sec(s.ref_end);
    }
    r["frames"] = s.matched_frames;
    r["query_share"] = sec(s.query_share);
    if (s.ref_is_video) r["ref_share"] = sec(s.ref_share);
  }
  return r;
}

std::string LowQualityNote(const MatchResult& result, const MatchOptions& options) {
  return "low quality: not matched (PDQ quality " + std::to_string(result.quality) + " < " +
         std::to_string(options.min_quality) + ")";
}

Record FileRecord(const std::string& path, const absl::StatusOr<MatchResult>& result,
                  const MatchOptions& options) {
  Record r;
  r["path"] = path;
  if (!result.ok()) {
    r["error"] = std::string(result.status().message());
    return r;
  }
  if (result->low_quality) {
    r["quality"] = result->quality;
    r["low_quality"] = true;
    r["note"] = LowQualityNote(*result, options);
  }
  AddVideoFields(r, *result);
  // A damaged video hashed in part; a photo whose verification was skipped.
  if (!result->warnings.empty()) r["warnings"] = result->warnings;
  r["matches"] = Record::array();
  for (const Match& m : result->matches) r["matches"].push_back(MatchRecord(m));
  return r;
}

}  // namespace hashwatch::cli
