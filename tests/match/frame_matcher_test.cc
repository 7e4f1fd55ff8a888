#include "match/frame_matcher.h"

#include <catch2/catch.hpp>
#include <random>

namespace hashwatch::match {
namespace {

using Code = std::array<uint8_t, 32>;

Code RandomCode(std::mt19937_64& rng) {
  Code c;
  for (uint8_t& b : c) b = static_cast<uint8_t>(rng());
  return c;
}

// `code` with `bits` bits flipped.
Code Flip(Code code, int bits) {
  for (int i = 0; i < bits; ++i) {
    const int bit = i * 37 % 256;  // 37 is odd: distinct bits for i < 256
    code[static_cast<size_t>(bit / 8)] ^= static_cast<uint8_t>(1u << (bit % 8));
  }
  return code;
}

int Distance(const Code& a, const Code& b) {
  int d = 0;
  for (size_t i = 0; i < 32; ++i) d += __builtin_popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return d;
}

// One known video (item 1) of frames 1 s apart, searched by brute force.
class FakeVideo final : public CandidateSource {
 public:
  explicit FakeVideo(std::vector<Code> frames) : frames_(std::move(frames)) {}
  void Search(const uint8_t* code, int threshold, std::vector<Candidate>* out) const override {
    Code q;
    std::copy(code, code + 32, q.begin());
    for (size_t i = 0; i < frames_.size(); ++i) {
      const int d = Distance(q, frames_[i]);
      if (d <= threshold) out->push_back(At(i, d));
    }
  }
  void FramesNear(int64_t item, double t0, double t1,
                  std::vector<std::pair<Candidate, Code>>* out) const override {
    if (item != 1) return;
    for (size_t i = 0; i < frames_.size(); ++i) {
      if (static_cast<double>(i) >= t0 && static_cast<double>(i) <= t1) {
        out->emplace_back(At(i, 0), frames_[i]);
      }
    }
  }
  double VideoEnd(int64_t) const override { return static_cast<double>(frames_.size() - 1); }
  std::optional<CaseId> OpenCase(int64_t) const override { return CaseId("K"); }

 private:
  Candidate At(size_t i, int d) const {
    Candidate c;
    c.item = 1;
    c.distance = d;
    c.is_frame = true;
    c.frame = static_cast<int64_t>(i) + 1;
    c.ref_start = c.ref_end = static_cast<double>(i);
    return c;
  }
  std::vector<Code> frames_;
};

struct Query {
  std::vector<Signal> signals;
  std::vector<QueryFrame> frames;
};

Query MakeQuery(const std::vector<Code>& codes) {
  Query q;
  q.signals.resize(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) {
    q.signals[i].type = "pdq";
    q.signals[i].hash.assign(codes[i].begin(), codes[i].end());
    q.signals[i].quality = 100;
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    q.frames.push_back({.start = double(i), .end = double(i), .samples = 1, .pdq = &q.signals[i]});
  }
  return q;
}

TEST_CASE("Frames next to an aligned span join it within the looser bound, unrelated ones never",
          "[match]") {
  std::mt19937_64 rng(7);
  std::vector<Code> ref;
  for (int i = 0; i < 30; ++i) ref.push_back(RandomCode(rng));
  FakeVideo source(ref);
  // Query: 3 unrelated frames, then reference 10..19 where the first two
  // carry a caption (40 bits off: beyond 31, within 45).
  std::vector<Code> q;
  for (int i = 0; i < 3; ++i) q.push_back(RandomCode(rng));
  for (int i = 10; i < 20; ++i) q.push_back(i < 12 ? Flip(ref[i], 40) : Flip(ref[i], 3));
  // Then the reference's next moments, but 50 bits off (another scene
  // cut in at the aligned place): beyond the looser bound too.
  for (int i = 20; i < 23; ++i) q.push_back(Flip(ref[i], 50));
  const Query query = MakeQuery(q);
  FrameMatchOptions options;
  options.match.dihedral = false;
  const std::vector<Match> m = MatchFrames(query.frames, true, source, options);
  REQUIRE(m.size() == 1);
  REQUIRE(m[0].span.has_value());
  CHECK(m[0].span->query_start == 3);  // the captioned frames joined
  CHECK(m[0].span->query_end == 12);   // no unrelated frame did
  CHECK(m[0].span->ref_start == 10);
  CHECK(m[0].span->ref_end == 19);
  CHECK(m[0].span->matched_frames == 10);
  CHECK(m[0].distance == 3);  // the median of the strict hits only

  // Without the extension only the strict frames count.
  options.extend_threshold = 31;
  const std::vector<Match> strict = MatchFrames(query.frames, true, source, options);
  REQUIRE(strict.size() == 1);
  CHECK(strict[0].span->query_start == 5);
}

TEST_CASE("A photo query matches the nearest frame of a video, with its time", "[match]") {
  std::mt19937_64 rng(9);
  std::vector<Code> ref;
  for (int i = 0; i < 10; ++i) ref.push_back(RandomCode(rng));
  FakeVideo source(ref);
  const Query query = MakeQuery({Flip(ref[6], 5)});
  FrameMatchOptions options;
  options.match.dihedral = false;
  const std::vector<Match> m = MatchFrames(query.frames, false, source, options);
  REQUIRE(m.size() == 1);
  REQUIRE(m[0].span.has_value());
  CHECK(!m[0].span->query_is_video);
  CHECK(m[0].span->ref_start == 6);
  CHECK(m[0].distance == 5);
}

}  // namespace
}  // namespace hashwatch::match
