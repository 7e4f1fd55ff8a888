#include "match/photo_matcher.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "hashwatch/signal_type.h"
#include "index/index_hit.h"
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

// Two PDQ codes' distance, as the pdq signal type defines it.
int PdqDistance(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) {
  static const SignalType* const pdq = FindSignalType("pdq");
  return pdq->Distance(a, b);
}

// Whether two looks (a view, or the whole query when null) show nearly
// the same pixels: both the whole image (a turned view is the whole, turned
// back), or rectangles overlapping by kSameLookOverlap of their union.
bool SamePixels(const ImageView* a, const ImageView* b) {
  auto whole = [](const ImageView* v) { return v == nullptr || v->rotation != 0; };
  if (whole(a) || whole(b)) return whole(a) && whole(b);
  const int64_t x0 = std::max(a->x, b->x), y0 = std::max(a->y, b->y);
  const int64_t x1 = std::min(a->x + a->width, b->x + b->width);
  const int64_t y1 = std::min(a->y + a->height, b->y + b->height);
  if (x1 <= x0 || y1 <= y0) return false;
  const double inter = static_cast<double>(x1 - x0) * static_cast<double>(y1 - y0);
  const double uni =
      static_cast<double>(a->width) * a->height + static_cast<double>(b->width) * b->height - inter;
  return uni > 0 && inter >= kSameLookOverlap * uni;
}

}  // namespace

std::vector<Match> MatchPhoto(const PhotoQuery& query, const CandidateSource& source,
                              const FrameMatchOptions& options,
                              std::vector<std::string>* warnings) {
  const MatchOptions& mo = options.match;
  std::vector<Match> out;
  absl::flat_hash_map<int64_t, size_t> found;  // item -> index into out
  // An item found again by a later step at a smaller distance takes that
  // step's distance and name (a threshold sweep then sees each item at its
  // nearest; at the default threshold the first step usually wins).
  auto add = [&](Match m) {
    auto it = found.find(m.item);
    if (it == found.end()) {
      found[m.item] = out.size();
      out.push_back(std::move(m));
    } else if (m.distance < out[it->second].distance && !out[it->second].span.has_value()) {
      out[it->second] = std::move(m);
    }
  };
  auto searched = [&](const Signal& pdq, const char* stage) {
    const std::vector<QueryFrame> frames = {{.start = 0, .end = 0, .samples = 1, .pdq = &pdq}};
    std::vector<Match> ms = MatchFrames(frames, /*query_is_video=*/false, source, options);
    for (Match& m : ms) {
      // A known video's frame found through its stored view stays "region".
      if (m.stage != "region") m.stage = stage;
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
  struct Look {
    const Signal* pdq;
    const ImageView* view;  // nullptr: the whole query
  };
  std::vector<Look> looks;
  if (Trusted(*query.pdq, mo)) looks.push_back({query.pdq, nullptr});
  if (mo.query_views && query.views != nullptr) {
    for (const ImageView& v : *query.views) {
      if (Trusted(v.pdq, mo)) looks.push_back({&v.pdq, &v});
    }
  }
  if (looks.empty()) return out;

  // 1 and 2: the whole query, then its views, against known hashes.
  if (looks.front().view == nullptr) searched(*query.pdq, "pdq");
  if (mo.query_views && query.views != nullptr) {
    for (const ImageView& v : *query.views) {
      if (Trusted(v.pdq, mo)) searched(v.pdq, v.kind.c_str());
    }
  }

  // 3: against the known images' stored views.
  std::vector<Candidate> hits;
  if (mo.stored_views) {
    for (const Look& look : looks) {
      for (const auto& [code, variant] : Codes(*look.pdq, mo.dihedral)) {
        hits.clear();
        source.SearchViews(code->data(), mo.threshold, &hits);
        std::sort(hits.begin(), hits.end(),
                  [](const Candidate& a, const Candidate& b) { return a.distance < b.distance; });
        for (const Candidate& c : hits) named(c.item, c.distance, variant, "region");
      }
    }
  }

  // 4: looser candidates, confirmed by local features of the look (the
  // whole query, or the view of it) that came nearest: first the known
  // images within verify_threshold of a look, then those nearest the
  // query's embedding.
  struct ToVerify {
    int distance;  // PDQ distance of the nearest look (256: not known)
    int64_t item;
    size_t look;
    bool embedding;  // found by the embedding
    float score;     // its cosine, then
  };
  std::vector<ToVerify> order;
  if (mo.verify && mo.verify_threshold > mo.threshold) {
    absl::flat_hash_map<int64_t, std::pair<int, size_t>> band;  // item -> distance, look
    for (size_t l = 0; l < looks.size(); ++l) {
      const Signal& pdq = *looks[l].pdq;
      hits.clear();
      source.Search(pdq.hash.data(), mo.verify_threshold, &hits);
      if (mo.stored_views) source.SearchViews(pdq.hash.data(), mo.verify_threshold, &hits);
      for (const Candidate& c : hits) {
        if (c.is_frame || found.contains(c.item)) continue;
        auto [it, inserted] = band.try_emplace(c.item, c.distance, l);
        if (!inserted && c.distance < it->second.first) it->second = {c.distance, l};
      }
    }
    for (const auto& [item, n] : band) order.push_back({n.first, item, n.second, false, 0});
    std::sort(order.begin(), order.end(), [](const ToVerify& a, const ToVerify& b) {
      return std::tie(a.distance, a.item) < std::tie(b.distance, b.item);
    });
    if (order.size() > static_cast<size_t>(kMaxVerified)) order.resize(kMaxVerified);
  }
  if (mo.verify && mo.embedding && query.embedding != nullptr && !query.embedding->empty() &&
      looks.front().view == nullptr) {
    for (const auto& [item, score] : source.SearchEmbedding(
             *query.embedding, mo.embedding_candidates, mo.min_embedding_score)) {
      if (found.contains(item)) continue;
      auto in_band = std::find_if(order.begin(), order.end(),
                                  [item = item](const ToVerify& t) { return t.item == item; });
      if (in_band != order.end()) {  // a PDQ candidate the embedding also proposes
        in_band->embedding = true;
        in_band->score = score;
        continue;
      }
      std::array<uint8_t, 32> known{};
      int distance = kPdqCodeBits;
      if (source.KnownCode(item, known.data())) distance = PdqDistance(query.pdq->hash, known);
      order.push_back({distance, item, 0, true, score});
    }
  }
  if (!order.empty()) {
    // Looks that show (nearly) the same pixels share their features, the
    // first of them serving the rest: a turned view's look is the whole
    // image (ORB is rotation-invariant, and the RANSAC fit finds the turn),
    // and a rectangle found as it is and again with its margin trimmed
    // differ by a few pixels a side (the affine fit absorbs that).
    std::vector<size_t> pixels_of(looks.size());
    for (size_t l = 0; l < looks.size(); ++l) {
      pixels_of[l] = l;
      for (size_t k = 0; k < l; ++k) {
        if (SamePixels(looks[k].view, looks[l].view)) {
          pixels_of[l] = k;
          break;
        }
      }
    }
    // The query's features per look and count, extracted once each.
    absl::flat_hash_map<std::pair<size_t, int>, absl::StatusOr<signals::LocalFeatures>> mine;
    auto features_of = [&](size_t l, int n) -> const absl::StatusOr<signals::LocalFeatures>& {
      auto it = mine.find({l, n});
      if (it == mine.end()) {
        it = mine.emplace(std::make_pair(l, n), query.features
                                                    ? query.features(looks[l].view, n)
                                                    : absl::FailedPreconditionError(
                                                          "the query's pixels are not available"))
                 .first;
      }
      return it->second;
    };
    for (const ToVerify& cand : order) {
      const int64_t item = cand.item;
      absl::StatusOr<std::vector<uint8_t>> blob = source.LocalFeatures(item);
      absl::StatusOr<signals::LocalFeatures> theirs =
          blob.ok() ? signals::ParseLocalFeatures(*blob) : blob.status();
      if (blob.ok() && blob->empty()) continue;  // enrolled without features
      if (!theirs.ok()) {
        warnings->push_back(
            absl::StrCat("verification skipped for item ", item, ": ", theirs.status().message()));
        continue;
      }
      // The nearest look first; the whole query as well when that was a view.
      std::vector<size_t> tries = {pixels_of[cand.look]};
      if (tries[0] != 0 && looks[0].view == nullptr) tries.push_back(0);
      for (size_t l : tries) {
        // kQueryFeatures, then kDenseQueryFeatures for a close candidate
        // that failed (photo_matcher.h).
        Verification v;
        bool usable = false;
        for (const int n : {kQueryFeatures, kDenseQueryFeatures}) {
          const absl::StatusOr<signals::LocalFeatures>& q = features_of(l, n);
          if (!q.ok()) {
            warnings->push_back(absl::StrCat("verification skipped: ", q.status().message()));
            break;
          }
          usable = true;
          v = VerifyLocalFeatures(
              *q, *theirs,
              {.min_inliers =
                   cand.embedding ? std::min(mo.min_inliers, kEmbeddingMinInliers) : mo.min_inliers,
               .min_spread = VerifyOptions().min_spread,
               .ratio = VerifyOptions().ratio});
          if (v.confirmed || cand.distance > kDenseRetryDistance) break;
        }
        if (!usable || !v.confirmed) continue;
        std::array<uint8_t, 32> known{};
        if (query.aligned_pdq && source.KnownCode(item, known.data())) {
          // As a whole: keypoints all over the known image, or the look as
          // it is, or else the look mapped by the fitted transform (worked
          // out only then); on repeated structure (a grid, a screw thread)
          // the fitted model can be shifted while the look itself agrees
          // (photo_matcher.h).
          const bool all_over =
              v.spread >= kOverlaySpread && v.inliers >= kOverlayInlierFactor * mo.min_inliers;
          if (!all_over && PdqDistance(looks[l].pdq->hash, known) > kAlignedThreshold) {
            absl::StatusOr<std::array<uint8_t, 32>> aligned =
                query.aligned_pdq(looks[l].view, v.affine, theirs->width, theirs->height);
            if (!aligned.ok() || PdqDistance(*aligned, known) > kAlignedThreshold) continue;
          }
        }
        const size_t before = out.size();
        named(item, cand.distance, 0, "verified");
        if (out.size() > before) {
          out.back().inliers = v.inliers;
          if (cand.embedding) {
            out.back().signal = "embedding";
            out.back().score = cand.score;
          }
        }
        break;
      }
    }
  }

  std::sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
    return a.distance != b.distance ? a.distance < b.distance : a.item < b.item;
  });
  return out;
}

}  // namespace hashwatch::match
