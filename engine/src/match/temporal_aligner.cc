#include "match/temporal_aligner.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/container/flat_hash_set.h"

namespace hashwatch::match {
namespace {

// Per query frame, at most this many hits of one reference take part (the
// nearest): a static reference scene can match one query frame many times,
// and the chain search is quadratic in the hits.
constexpr size_t kHitsPerQueryFrame = 8;

// Whether hit `b` may follow hit `a` in one span.
bool CanFollow(const FrameHit& a, const FrameHit& b, const AlignOptions& o) {
  if (b.query_frame == a.query_frame || b.query_start <= a.query_start) return false;
  if (b.query_start - a.query_end > o.max_gap) return false;
  // Elapsed time between the two hits on each timeline, as ranges (each
  // frame is a run from start to end).
  const double q_min = std::max(0.0, b.query_start - a.query_end);
  const double q_max = b.query_end - a.query_start;
  const double r_min = b.ref_start - a.ref_end;
  const double r_max = b.ref_end - a.ref_start;
  if (r_max < -o.tolerance) return false;  // the reference went backwards
  return r_max >= q_min / o.max_speed - o.tolerance && r_min <= q_max * o.max_speed + o.tolerance;
}

struct Chain {
  std::vector<size_t> members;  // indices into the reference's hits, in order
  int samples = 0;
  int distance_sum = 0;
};

// The best chain among `hits` (sorted by query start) that are still free.
Chain BestChain(const std::vector<FrameHit>& hits, const std::vector<bool>& used,
                const AlignOptions& o) {
  const size_t n = hits.size();
  std::vector<int> samples(n, 0);
  std::vector<int> distance(n, 0);
  std::vector<ptrdiff_t> previous(n, -1);
  ptrdiff_t best = -1;
  auto better = [&](int s1, int d1, int s2, int d2) { return s1 > s2 || (s1 == s2 && d1 < d2); };
  for (size_t j = 0; j < n; ++j) {
    if (used[j]) continue;
    samples[j] = hits[j].query_samples;
    distance[j] = hits[j].distance;
    for (size_t i = j; i-- > 0;) {
      if (used[i]) continue;
      if (hits[j].query_start - hits[i].query_end > o.max_gap) {
        // Sorted by start; runs are short next to the gap, but a long run
        // can still reach: keep looking only while starts are close.
        if (hits[j].query_start - hits[i].query_start > 4 * o.max_gap) break;
        continue;
      }
      if (!CanFollow(hits[i], hits[j], o)) continue;
      const int s = samples[i] + hits[j].query_samples;
      const int d = distance[i] + hits[j].distance;
      if (better(s, d, samples[j], distance[j])) {
        samples[j] = s;
        distance[j] = d;
        previous[j] = static_cast<ptrdiff_t>(i);
      }
    }
    if (best < 0 || better(samples[j], distance[j], samples[best], distance[best])) {
      best = static_cast<ptrdiff_t>(j);
    }
  }
  Chain chain;
  if (best < 0) return chain;
  chain.samples = samples[best];
  chain.distance_sum = distance[best];
  for (ptrdiff_t k = best; k >= 0; k = previous[k]) chain.members.push_back(static_cast<size_t>(k));
  std::reverse(chain.members.begin(), chain.members.end());
  return chain;
}

}  // namespace

std::vector<AlignedSpan> AlignFrameHits(absl::Span<const FrameHit> hits,
                                        const AlignOptions& options) {
  // Group by reference, keeping input indices.
  std::map<int64_t, std::vector<size_t>> by_ref;
  for (size_t i = 0; i < hits.size(); ++i) by_ref[hits[i].ref].push_back(i);

  std::vector<AlignedSpan> spans;
  for (auto& [ref, indices] : by_ref) {
    // Nearest few hits per query frame.
    std::sort(indices.begin(), indices.end(), [&](size_t a, size_t b) {
      return std::tie(hits[a].query_frame, hits[a].distance, hits[a].ref_start) <
             std::tie(hits[b].query_frame, hits[b].distance, hits[b].ref_start);
    });
    std::vector<size_t> kept;
    for (size_t k = 0, run = 0; k < indices.size(); ++k) {
      const bool same = k > 0 && hits[indices[k]].query_frame == hits[indices[k - 1]].query_frame;
      run = same ? run + 1 : 0;
      if (run < kHitsPerQueryFrame) kept.push_back(indices[k]);
    }
    std::sort(kept.begin(), kept.end(), [&](size_t a, size_t b) {
      return std::tie(hits[a].query_start, hits[a].ref_start, a) <
             std::tie(hits[b].query_start, hits[b].ref_start, b);
    });
    std::vector<FrameHit> local;
    local.reserve(kept.size());
    for (size_t i : kept) local.push_back(hits[i]);

    std::vector<bool> used(local.size(), false);
    for (;;) {
      const Chain chain = BestChain(local, used, options);
      if (chain.members.empty() || chain.samples < options.min_samples) break;
      AlignedSpan span;
      span.ref = ref;
      span.matched_samples = chain.samples;
      span.query_start = span.ref_start = 1e300;
      span.query_end = span.ref_end = -1e300;
      std::vector<int> distances;
      absl::flat_hash_set<int> frames;
      for (size_t m : chain.members) {
        const FrameHit& h = local[m];
        span.query_start = std::min(span.query_start, h.query_start);
        span.query_end = std::max(span.query_end, h.query_end);
        span.ref_start = std::min(span.ref_start, h.ref_start);
        span.ref_end = std::max(span.ref_end, h.ref_end);
        distances.push_back(h.distance);
        span.hits.push_back(kept[m]);
        frames.insert(h.query_frame);
      }
      std::nth_element(distances.begin(), distances.begin() + distances.size() / 2,
                       distances.end());
      span.median_distance = distances[distances.size() / 2];
      spans.push_back(std::move(span));
      // A query frame belongs to one span of a reference.
      for (size_t i = 0; i < local.size(); ++i) {
        if (frames.contains(local[i].query_frame)) used[i] = true;
      }
    }
  }
  std::sort(spans.begin(), spans.end(), [](const AlignedSpan& a, const AlignedSpan& b) {
    return std::make_tuple(-a.matched_samples, a.median_distance, a.ref, a.query_start) <
           std::make_tuple(-b.matched_samples, b.median_distance, b.ref, b.query_start);
  });
  return spans;
}

}  // namespace hashwatch::match
