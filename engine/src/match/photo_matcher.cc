#include "match/photo_matcher.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "match/local_verifier.h"
#include "signals/local_features.h"

namespace hashwatch::match {
namespace {

bool Trusted(const Signal& pdq, const MatchOptions& options) {
  return pdq.hash.size() == 32 && (pdq.quality < 0 || pdq.quality >= options.min_quality);
}

// The codes of one signal to search: its variants when asked and present.
std::vector<std::pair<const std::vector<uint8_t>*, int>> Codes(const Signal& pdq, bool variants) {
  std::vector<std::pair<const std::vector<uint8_t>*, int>> out;
  if (variants && pdq.variants.size() == kDihedralCount) {
    for (int v = 0; v < kDihedralCount; ++v) out.emplace_back(&pdq.variants[v], v);
  } else {
    out.emplace_back(&pdq.hash, 0);
  }
  return out;
}

}  // namespace

std::vector<Match> MatchPhoto(const PhotoQuery& query, const CandidateSource& source,
                              const FrameMatchOptions& options,
                              std::vector<std::string>* warnings) {
  const MatchOptions& mo = options.match;
  std::vector<Match> out;
  absl::flat_hash_map<int64_t, size_t> found;  // item -> index into out
  auto add = [&](Match m) {
    if (found.contains(m.item)) return;
    found[m.item] = out.size();
    out.push_back(std::move(m));
  };
  auto searched = [&](const Signal& pdq, const char* stage) {
    const std::vector<QueryFrame> frames = {{.start = 0, .end = 0, .samples = 1, .pdq = &pdq}};
    std::vector<Match> ms = MatchFrames(frames, /*query_is_video=*/false, source, options);
    for (Match& m : ms) {
      m.stage = stage;
      add(std::move(m));
    }
  };
  auto named = [&](int64_t item, int distance, int variant, const char* stage) {
    std::optional<CaseId> owner = source.OpenCase(item);
    if (!owner.has_value()) return;
    Match m;
    m.case_id = *std::move(owner);
    m.item = item;
    m.distance = distance;
    m.variant = static_cast<Dihedral>(variant);
    m.stage = stage;
    add(std::move(m));
  };

  // The query's signals worth searching: the whole, then its views.
  std::vector<const Signal*> looks;
  if (Trusted(*query.pdq, mo)) looks.push_back(query.pdq);
  if (mo.query_views && query.views != nullptr) {
    for (const ImageView& v : *query.views) {
      if (Trusted(v.pdq, mo)) looks.push_back(&v.pdq);
    }
  }
  if (looks.empty()) return out;

  // 1 and 2: the whole query, then its views, against known hashes.
  if (looks.front() == query.pdq) searched(*query.pdq, "pdq");
  if (mo.query_views && query.views != nullptr) {
    for (const ImageView& v : *query.views) {
      if (Trusted(v.pdq, mo)) searched(v.pdq, v.kind == "canvas" ? "canvas" : "border");
    }
  }

  // 3: against the known images' stored views.
  std::vector<Candidate> hits;
  if (mo.stored_views) {
    for (const Signal* look : looks) {
      for (const auto& [code, variant] : Codes(*look, mo.dihedral)) {
        hits.clear();
        source.SearchViews(code->data(), mo.threshold, &hits);
        std::sort(hits.begin(), hits.end(),
                  [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
        for (const Candidate& c : hits) named(c.item, c.distance, variant, "region");
      }
    }
  }

  // 4: looser candidates, confirmed by local features.
  if (mo.verify && mo.verify_threshold > mo.threshold) {
    absl::flat_hash_map<int64_t, int> band;  // item -> nearest distance
    for (const Signal* look : looks) {
      hits.clear();
      source.Search(look->hash.data(), mo.verify_threshold, &hits);
      if (mo.stored_views) source.SearchViews(look->hash.data(), mo.verify_threshold, &hits);
      for (const Candidate& c : hits) {
        if (c.is_frame || found.contains(c.item)) continue;
        auto [it, inserted] = band.try_emplace(c.item, c.distance);
        if (!inserted) it->second = std::min(it->second, c.distance);
      }
    }
    std::vector<std::pair<int, int64_t>> order;
    for (const auto& [item, d] : band) order.emplace_back(d, item);
    std::sort(order.begin(), order.end());
    if (order.size() > static_cast<size_t>(kMaxVerified)) order.resize(kMaxVerified);
    std::optional<signals::LocalFeatures> mine;
    for (const auto& [distance, item] : order) {
      absl::StatusOr<std::vector<uint8_t>> blob = source.LocalFeatures(item);
      if (!blob.ok()) {
        warnings->push_back(
            absl::StrCat("verification skipped for item ", item, ": ", blob.status().message()));
        continue;
      }
      if (blob->empty()) continue;  // enrolled without features
      absl::StatusOr<signals::LocalFeatures> theirs = signals::ParseLocalFeatures(*blob);
      if (!theirs.ok()) {
        warnings->push_back(
            absl::StrCat("verification skipped for item ", item, ": ", theirs.status().message()));
        continue;
      }
      if (!mine.has_value()) {
        absl::StatusOr<std::vector<uint8_t>> q =
            query.features ? query.features() : absl::StatusOr<std::vector<uint8_t>>();
        absl::StatusOr<signals::LocalFeatures> parsed =
            q.ok() ? signals::ParseLocalFeatures(*q) : q.status();
        if (!parsed.ok()) {
          warnings->push_back(absl::StrCat("verification skipped: ", parsed.status().message()));
          break;
        }
        mine = *std::move(parsed);
      }
      const Verification v = VerifyLocalFeatures(*mine, *theirs,
                                                 {.min_inliers = mo.min_inliers,
                                                  .min_spread = VerifyOptions().min_spread,
                                                  .ratio = VerifyOptions().ratio});
      if (!v.confirmed) continue;
      const size_t before = out.size();
      named(item, distance, 0, "verified");
      if (out.size() > before) out.back().inliers = v.inliers;
    }
  }

  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.item < b.item;
  });
  return out;
}

}  // namespace hashwatch::match
