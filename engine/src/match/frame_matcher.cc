#include "match/frame_matcher.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <string_view>
#include <thread>
#include <tuple>

#include "absl/container/flat_hash_map.h"

namespace hashwatch::match {
namespace {

// The nearest (distance, variant) of one query frame to one candidate.
struct FrameCandidate {
  Candidate candidate;
  int query_frame = 0;
  int variant = 0;
  bool query_view = false;  // found through one of the query frame's views
};

// Every candidate of every searchable frame, each (frame, item, ref frame)
// once at its nearest variant.
// One frame's candidates, each (item, reference frame) once at its nearest
// variant (the lowest variant on ties: the original first).
void SearchFrame(const QueryFrame& frame, int f, const CandidateSource& source,
                 const MatchOptions& options, std::vector<FrameCandidate>* out) {
  if (frame.pdq->quality >= 0 && frame.pdq->quality < options.min_quality) return;
  // The frame, then its own views (each of good quality).
  std::vector<const Signal*> looks = {frame.pdq};
  if (options.query_views && frame.views != nullptr) {
    for (const ImageView& view : *frame.views) {
      if (view.pdq.quality < 0 || view.pdq.quality >= options.min_quality) {
        looks.push_back(&view.pdq);
      }
    }
  }
  absl::flat_hash_map<std::pair<int64_t, int64_t>, size_t> best;  // -> index into out
  std::vector<Candidate> found;
  for (size_t l = 0; l < looks.size(); ++l) {
    const Signal& pdq = *looks[l];
    const bool variants = options.dihedral && pdq.variants.size() == kDihedralCount;
    const int count = variants ? kDihedralCount : 1;
    for (int v = 0; v < count; ++v) {
      const std::vector<uint8_t>& code = variants ? pdq.variants[v] : pdq.hash;
      if (code.size() != 32) continue;
      found.clear();
      source.Search(code.data(), options.threshold, &found);
      for (const Candidate& c : found) {
        if (c.view && !options.stored_views) continue;
        auto [it, inserted] = best.try_emplace({c.item, c.is_frame ? c.frame : -1}, out->size());
        if (inserted) {
          out->push_back({c, f, v, l > 0});
        } else if (c.distance < (*out)[it->second].candidate.distance) {
          (*out)[it->second].candidate.distance = c.distance;
          (*out)[it->second].variant = v;
          (*out)[it->second].query_view = l > 0;
        }
      }
    }
  }
}

// Every frame's candidates, in frame order; the frames are shared among
// `threads` threads (the calling one included).
std::vector<FrameCandidate> SearchFrames(const std::vector<QueryFrame>& frames,
                                         const CandidateSource& source, const MatchOptions& options,
                                         int threads) {
  std::vector<std::vector<FrameCandidate>> per_frame(frames.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t f = next++; f < frames.size(); f = next++) {
      SearchFrame(frames[f], static_cast<int>(f), source, options, &per_frame[f]);
    }
  };
  const int helpers = std::clamp(threads, 1, 64) - 1;
  std::vector<std::thread> pool;
  for (int t = 0; t < helpers && static_cast<size_t>(t + 1) < frames.size(); ++t) {
    pool.emplace_back(work);
  }
  work();
  for (std::thread& t : pool) t.join();
  std::vector<FrameCandidate> out;
  for (std::vector<FrameCandidate>& v : per_frame) out.insert(out.end(), v.begin(), v.end());
  return out;
}

// The share of a reference video's timeline that [start, end] covers (a
// single moment counts as one second).
double RefShare(const CandidateSource& source, int64_t item, double start, double end) {
  const double length = source.VideoEnd(item);
  if (length <= 0) return 1;
  return std::min(1.0, std::max(end - start, std::min(1.0, length)) / length);
}

int Median(std::vector<int> values) {
  if (values.empty()) return 0;
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// The variant most hits agree on (the lowest on ties: the original first).
Dihedral MajorityVariant(const std::vector<int>& variants) {
  int counts[kDihedralCount] = {};
  for (int v : variants) ++counts[v];
  return static_cast<Dihedral>(std::max_element(counts, counts + kDihedralCount) - counts);
}

// Which step found a hit: a view of the query frame ("border": the
// picture inside its own bars), a stored view of the reference's frame
// ("region": a crop of it), or the two whole frames ("pdq").
const char* StageOf(const FrameCandidate& h) {
  if (h.query_view) return "border";
  return h.candidate.view ? "region" : "pdq";
}

// The stage most of a span's hits came through ("pdq" when none has most).
const char* MajorityStage(const std::vector<const char*>& stages) {
  size_t border = 0, region = 0;
  for (const char* s : stages) {
    border += std::string_view(s) == "border";
    region += std::string_view(s) == "region";
  }
  if (2 * border > stages.size()) return "border";
  if (2 * region > stages.size()) return "region";
  return "pdq";
}

int Hamming(const uint8_t* a, const uint8_t* b) {
  int d = 0;
  for (size_t i = 0; i < 32; ++i) d += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return d;
}

// Grows `span` over the query frames next to it that match the reference at
// the aligned moment within options.extend_threshold (see FrameMatchOptions).
void ExtendSpan(const std::vector<QueryFrame>& frames, const CandidateSource& source,
                const FrameMatchOptions& options, Dihedral variant, AlignedSpan* span,
                std::vector<int>* distances, std::vector<bool>* in_span) {
  const double q_len = span->query_end - span->query_start;
  const double speed = q_len > 0.5
                           ? std::clamp((span->ref_end - span->ref_start) / q_len,
                                        1 / options.align.max_speed, options.align.max_speed)
                           : 1.0;
  std::vector<std::pair<Candidate, std::array<uint8_t, 32>>> near;
  auto try_frame = [&](size_t f) {
    const QueryFrame& q = frames[f];
    const Signal& pdq = *q.pdq;
    if (pdq.quality >= 0 && pdq.quality < options.match.min_quality) return false;
    const int v = static_cast<int>(variant);
    const std::vector<uint8_t>& code =
        pdq.variants.size() == kDihedralCount ? pdq.variants[v] : pdq.hash;
    if (code.size() != 32) return false;
    const double r = q.start < span->query_start
                         ? span->ref_start - (span->query_start - q.start) * speed
                         : span->ref_end + (q.start - span->query_end) * speed;
    near.clear();
    source.FramesNear(span->ref, r - 1.0, r + 1.0, &near);
    int best = 257;
    const Candidate* best_frame = nullptr;
    for (const auto& [frame, ref_code] : near) {
      const int d = Hamming(code.data(), ref_code.data());
      if (d < best) {
        best = d;
        best_frame = &frame;
      }
    }
    if (best_frame == nullptr || best > options.extend_threshold) return false;
    span->query_start = std::min(span->query_start, q.start);
    span->query_end = std::max(span->query_end, q.end);
    span->ref_start = std::min(span->ref_start, best_frame->ref_start);
    span->ref_end = std::max(span->ref_end, best_frame->ref_end);
    span->matched_samples += q.samples;
    distances->push_back(best);
    (*in_span)[f] = true;
    return true;
  };
  // Outwards from the span on each side, while frames keep joining within
  // max_gap of its edge.
  for (size_t f = frames.size(); f-- > 0;) {
    if ((*in_span)[f] || frames[f].start >= span->query_start) continue;
    if (span->query_start - frames[f].end > options.align.max_gap) break;
    try_frame(f);
  }
  for (size_t f = 0; f < frames.size(); ++f) {
    if ((*in_span)[f] || frames[f].start <= span->query_end) continue;
    if (frames[f].start - span->query_end > options.align.max_gap) break;
    try_frame(f);
  }
}

}  // namespace

std::vector<Match> MatchFrames(const std::vector<QueryFrame>& frames, bool query_is_video,
                               const CandidateSource& source, const FrameMatchOptions& options) {
  const std::vector<FrameCandidate> hits =
      SearchFrames(frames, source, options.match, options.match.search_threads);
  int64_t total_samples = 0;
  for (const QueryFrame& f : frames) total_samples += f.samples;
  // The evidence a video match needs: min_frames sampled moments, fewer only
  // for a query that has fewer, and never a single one for a video of two
  // or more.
  int needed = 1;
  if (query_is_video) {
    needed = static_cast<int>(std::min<int64_t>(options.match.min_frames, total_samples));
    if (total_samples >= 2) needed = std::max(needed, 2);
    needed = std::max(needed, 1);
  }
  std::vector<Match> matches;
  auto add = [&](int64_t item, int distance, Dihedral variant, std::optional<MatchSpan> span,
                 const char* stage) {
    std::optional<CaseId> owner = source.OpenCase(item);
    if (!owner.has_value()) return;  // withdrawn while we searched
    Match m;
    m.case_id = *std::move(owner);
    m.item = item;
    m.distance = distance;
    m.variant = variant;
    m.span = span;
    m.stage = stage;
    matches.push_back(std::move(m));
  };

  if (!query_is_video) {
    // A photo: each item once, at its nearest image or frame.
    std::map<int64_t, const FrameCandidate*> nearest;
    for (const FrameCandidate& h : hits) {
      auto [it, inserted] = nearest.try_emplace(h.candidate.item, &h);
      const FrameCandidate& cur = *it->second;
      if (!inserted && std::tie(h.candidate.distance, h.variant, h.candidate.ref_start) <
                           std::tie(cur.candidate.distance, cur.variant, cur.candidate.ref_start)) {
        it->second = &h;
      }
    }
    for (const auto& [item, h] : nearest) {
      std::optional<MatchSpan> span;
      if (h->candidate.is_frame) {
        MatchSpan s;
        s.ref_is_video = true;
        s.ref_start = h->candidate.ref_start;
        s.ref_end = h->candidate.ref_end;
        s.query_share = 1;
        s.ref_share = RefShare(source, item, s.ref_start, s.ref_end);
        s.matched_frames = 1;
        span = s;
      }
      add(item, h->candidate.distance, static_cast<Dihedral>(h->variant), span, StageOf(*h));
    }
  } else {
    // Known videos: align in time.
    std::vector<FrameHit> frame_hits;
    std::vector<int> hit_variants;
    std::vector<const char*> hit_stages;
    // Known photos: runs of query frames that show them.
    std::map<int64_t, std::vector<const FrameCandidate*>> photo_hits;
    for (const FrameCandidate& h : hits) {
      const QueryFrame& q = frames[h.query_frame];
      if (!h.candidate.is_frame) {
        photo_hits[h.candidate.item].push_back(&h);
        continue;
      }
      FrameHit fh;
      fh.ref = h.candidate.item;
      fh.query_frame = h.query_frame;
      fh.query_start = q.start;
      fh.query_end = q.end;
      fh.query_samples = q.samples;
      fh.ref_frame = h.candidate.frame;
      fh.ref_start = h.candidate.ref_start;
      fh.ref_end = h.candidate.ref_end;
      fh.ref_samples = h.candidate.ref_samples;
      fh.distance = h.candidate.distance;
      frame_hits.push_back(fh);
      hit_variants.push_back(h.variant);
      hit_stages.push_back(StageOf(h));
    }
    AlignOptions align = options.align;
    align.min_samples = needed;
    for (AlignedSpan a : AlignFrameHits(frame_hits, align)) {
      std::vector<int> variants, distances;
      std::vector<bool> in_span(frames.size(), false);
      std::vector<const char*> stages;
      for (size_t i : a.hits) {
        stages.push_back(hit_stages[i]);
        variants.push_back(hit_variants[i]);
        distances.push_back(frame_hits[i].distance);
        in_span[static_cast<size_t>(frame_hits[i].query_frame)] = true;
      }
      const Dihedral variant = MajorityVariant(variants);
      // The reported distance stays the median of the strict hits.
      std::vector<int> extended;
      ExtendSpan(frames, source, options, variant, &a, &extended, &in_span);
      MatchSpan s;
      s.query_is_video = s.ref_is_video = true;
      s.query_start = a.query_start;
      s.query_end = a.query_end;
      s.ref_start = a.ref_start;
      s.ref_end = a.ref_end;
      s.matched_frames = a.matched_samples;
      s.query_share = total_samples > 0 ? std::min(1.0, static_cast<double>(a.matched_samples) /
                                                            static_cast<double>(total_samples))
                                        : 0;
      s.ref_share = RefShare(source, a.ref, a.ref_start, a.ref_end);
      add(a.ref, Median(distances), variant, s, MajorityStage(stages));
    }
    for (auto& [item, list] : photo_hits) {
      std::sort(list.begin(), list.end(), [&](const FrameCandidate* x, const FrameCandidate* y) {
        return x->query_frame < y->query_frame;
      });
      // Consecutive query frames (gaps <= max_gap) showing the photo.
      size_t begin = 0;
      for (size_t k = 1; k <= list.size(); ++k) {
        const bool split = k == list.size() || frames[list[k]->query_frame].start -
                                                       frames[list[k - 1]->query_frame].end >
                                                   options.align.max_gap;
        if (!split) continue;
        int samples = 0;
        std::vector<int> distances, variants;
        for (size_t j = begin; j < k; ++j) {
          samples += frames[list[j]->query_frame].samples;
          distances.push_back(list[j]->candidate.distance);
          variants.push_back(list[j]->variant);
        }
        if (samples >= needed) {
          MatchSpan s;
          s.query_is_video = true;
          s.query_start = frames[list[begin]->query_frame].start;
          s.query_end = frames[list[k - 1]->query_frame].end;
          s.matched_frames = samples;
          s.query_share = total_samples > 0 ? static_cast<double>(samples) / total_samples : 0;
          s.ref_share = 1;
          add(item, Median(distances), MajorityVariant(variants), s, "pdq");
        }
        begin = k;
      }
    }
  }
  std::sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    const double qa = a.span ? a.span->query_start : 0, qb = b.span ? b.span->query_start : 0;
    return std::tie(a.distance, a.item, qa) < std::tie(b.distance, b.item, qb);
  });
  return matches;
}

}  // namespace hashwatch::match
