#include "match/temporal_aligner.h"

#include <catch2/catch.hpp>
#include <vector>

namespace hashwatch::match {
namespace {

// A query frame at `q` (one sample) matching reference `ref` at `r`.
FrameHit Hit(int64_t ref, int frame, double q, double r, int distance = 4) {
  FrameHit h;
  h.ref = ref;
  h.query_frame = frame;
  h.query_start = h.query_end = q;
  h.ref_frame = static_cast<int64_t>(r * 100);
  h.ref_start = h.ref_end = r;
  h.distance = distance;
  return h;
}

TEST_CASE("An excerpt aligns with its offset into the reference", "[match][align]") {
  std::vector<FrameHit> hits;
  for (int k = 0; k < 10; ++k) hits.push_back(Hit(7, k, k, 93.4 + k));
  const std::vector<AlignedSpan> spans = AlignFrameHits(hits, {});
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].ref == 7);
  CHECK(spans[0].query_start == 0);
  CHECK(spans[0].query_end == 9);
  CHECK(spans[0].ref_start == Approx(93.4));
  CHECK(spans[0].ref_end == Approx(102.4));
  CHECK(spans[0].matched_samples == 10);
  CHECK(spans[0].median_distance == 4);
}

TEST_CASE("A single stray frame, or scattered hits without a common timeline, never match",
          "[match][align]") {
  CHECK(AlignFrameHits(std::vector<FrameHit>{Hit(1, 0, 5, 40)}, {}).empty());
  // Three hits of one reference, but at times that no speed explains.
  std::vector<FrameHit> scattered = {Hit(1, 0, 0, 50), Hit(1, 1, 1, 10), Hit(1, 2, 2, 90)};
  CHECK(AlignFrameHits(scattered, {}).empty());
  // The same three in order do match.
  std::vector<FrameHit> ordered = {Hit(1, 0, 0, 50), Hit(1, 1, 1, 51), Hit(1, 2, 2, 52)};
  CHECK(AlignFrameHits(ordered, {}).size() == 1);
}

TEST_CASE("Speed changes up to 1.25x and dropped frames still align", "[match][align]") {
  std::vector<FrameHit> fast;
  for (int k = 0; k < 16; ++k) {
    if (k % 5 == 3) continue;  // dropped
    fast.push_back(Hit(2, k, k, 10 + 1.25 * k));
  }
  const std::vector<AlignedSpan> spans = AlignFrameHits(fast, {});
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].matched_samples == 13);
  CHECK(spans[0].ref_start == Approx(10));
}

TEST_CASE("A compilation gives one span per copied part, even of the same reference",
          "[match][align]") {
  std::vector<FrameHit> hits;
  int frame = 0;
  for (int k = 0; k < 8; ++k) hits.push_back(Hit(3, frame++, 5 + k, 20 + k));    // A at 5 s
  for (int k = 0; k < 8; ++k) hits.push_back(Hit(4, frame++, 20 + k, 1 + k));    // B at 20 s
  for (int k = 0; k < 8; ++k) hits.push_back(Hit(3, frame++, 40 + k, 100 + k));  // A again
  std::vector<AlignedSpan> spans = AlignFrameHits(hits, {});
  REQUIRE(spans.size() == 3);
  std::sort(spans.begin(), spans.end(), [](const AlignedSpan& a, const AlignedSpan& b) {
    return a.query_start < b.query_start;
  });
  CHECK(spans[0].ref == 3);
  CHECK(spans[0].ref_start == 20);
  CHECK(spans[1].ref == 4);
  CHECK(spans[1].query_start == 20);
  CHECK(spans[2].ref == 3);
  CHECK(spans[2].ref_start == 100);
}

TEST_CASE("Runs of a static scene count their samples", "[match][align]") {
  // One query run of 6 samples matching one reference run: enough alone.
  FrameHit h = Hit(5, 0, 2, 30);
  h.query_end = 7;
  h.query_samples = 6;
  h.ref_end = 35;
  const std::vector<AlignedSpan> spans = AlignFrameHits(std::vector<FrameHit>{h}, {});
  REQUIRE(spans.size() == 1);
  CHECK(spans[0].matched_samples == 6);
  CHECK(spans[0].query_end == 7);
}

}  // namespace
}  // namespace hashwatch::match
