#include "index/hamming_kernels.h"

#include <catch2/catch.hpp>
#include <opencv2/features2d.hpp>
#include <random>
#include <vector>

#include "index/pdq_test_codes.h"

namespace hashwatch {
namespace {

using testing::Code;
using testing::FlipBits;
using testing::NaiveDistance;
using testing::RandomCode;

std::vector<const HammingKernels*> AllKernels() {
  std::vector<const HammingKernels*> all = {&PortableHammingKernels()};
  if (PopcntHammingKernels() != nullptr) all.push_back(PopcntHammingKernels());
  if (Avx512HammingKernels() != nullptr) all.push_back(Avx512HammingKernels());
  return all;
}

TEST_CASE("HammingDistance256 counts differing bits", "[index][hamming]") {
  std::mt19937_64 rng(1);
  const Code a = RandomCode(rng);
  for (int d : {0, 1, 31, 32, 128, 255, 256}) {
    const Code b = FlipBits(a, d, rng);
    CHECK(HammingDistance256(a.data(), b.data()) == d);
    CHECK(NaiveDistance(a.data(), b.data()) == d);
  }
}

TEST_CASE("BestHammingKernels uses AVX-512 or POPCNT when the CPU has it", "[index][hamming]") {
  __builtin_cpu_init();
  const bool has_popcnt = __builtin_cpu_supports("popcnt");
  CHECK((PopcntHammingKernels() != nullptr) == has_popcnt);
  const bool has_avx512 =
      has_popcnt && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vpopcntdq");
  CHECK((Avx512HammingKernels() != nullptr) == has_avx512);
  CHECK(&BestHammingKernels() == (has_avx512   ? Avx512HammingKernels()
                                  : has_popcnt ? PopcntHammingKernels()
                                               : &PortableHammingKernels()));
}

TEST_CASE("scan keeps exactly the codes within the radius, in row order", "[index][hamming]") {
  std::mt19937_64 rng(2);
  const Code q = RandomCode(rng);
  std::vector<Code> codes;
  for (int d = 0; d <= 256; ++d) codes.push_back(FlipBits(q, d, rng));
  std::shuffle(codes.begin(), codes.end(), rng);
  const std::vector<uint8_t> flat = testing::Flatten(codes);
  for (const HammingKernels* k : AllKernels()) {
    INFO(k->name);
    for (int radius : {0, 30, 31, 32, 255, 256}) {
      std::vector<RowDistance> out;
      k->scan(q.data(), flat.data(), codes.size(), radius, &out);
      std::vector<RowDistance> want;
      for (size_t i = 0; i < codes.size(); ++i) {
        const int d = NaiveDistance(q.data(), codes[i].data());
        if (d <= radius) want.push_back({static_cast<uint32_t>(i), d});
      }
      REQUIRE(out.size() == want.size());
      for (size_t i = 0; i < out.size(); ++i) {
        CHECK(out[i].row == want[i].row);
        CHECK(out[i].distance == want[i].distance);
      }
    }
  }
}

TEST_CASE("verify checks only the listed rows, keeping order and repeats", "[index][hamming]") {
  std::mt19937_64 rng(3);
  const Code q = RandomCode(rng);
  std::vector<Code> codes;
  for (int i = 0; i < 1000; ++i) {
    codes.push_back(FlipBits(q, static_cast<int>(rng() % 64), rng));
  }
  const std::vector<uint8_t> flat = testing::Flatten(codes);
  std::vector<uint32_t> rows;
  for (int i = 0; i < 3000; ++i) rows.push_back(rng() % codes.size());
  for (const HammingKernels* k : AllKernels()) {
    INFO(k->name);
    std::vector<RowDistance> out;
    k->verify(q.data(), flat.data(), rows.data(), rows.size(), 31, &out);
    size_t j = 0;
    for (uint32_t row : rows) {
      const int d = NaiveDistance(q.data(), codes[row].data());
      if (d > 31) continue;
      REQUIRE(j < out.size());
      CHECK(out[j].row == row);
      CHECK(out[j].distance == d);
      ++j;
    }
    CHECK(j == out.size());
  }
}

TEST_CASE("two_nearest finds what OpenCV's brute-force matcher finds", "[index][hamming]") {
  // Local-feature verification's descriptor matching: for each code of one
  // set, its nearest and next nearest in the other (ORB descriptors are
  // 256-bit codes too). Near codes are planted so the nearest is not random.
  std::mt19937_64 rng(4);
  std::vector<Code> theirs, mine;
  for (int i = 0; i < 300; ++i) theirs.push_back(RandomCode(rng));
  for (int i = 0; i < 700; ++i) {
    mine.push_back(i % 3 == 0
                       ? FlipBits(theirs[rng() % theirs.size()], static_cast<int>(rng() % 40), rng)
                       : RandomCode(rng));
  }
  const std::vector<uint8_t> a = testing::Flatten(theirs), b = testing::Flatten(mine);
  const cv::Mat ma(static_cast<int>(theirs.size()), 32, CV_8U, const_cast<uint8_t*>(a.data()));
  const cv::Mat mb(static_cast<int>(mine.size()), 32, CV_8U, const_cast<uint8_t*>(b.data()));
  std::vector<std::vector<cv::DMatch>> knn;
  cv::BFMatcher(cv::NORM_HAMMING).knnMatch(ma, mb, knn, 2);
  REQUIRE(knn.size() == theirs.size());
  for (const HammingKernels* k : AllKernels()) {
    INFO(k->name);
    std::vector<TwoNearest> out(theirs.size());
    k->two_nearest(a.data(), theirs.size(), b.data(), mine.size(), out.data());
    for (size_t j = 0; j < theirs.size(); ++j) {
      REQUIRE(knn[j].size() == 2);
      CHECK(out[j].best == static_cast<int>(knn[j][0].distance));
      CHECK(out[j].second == static_cast<int>(knn[j][1].distance));
      CHECK(NaiveDistance(theirs[j].data(), mine[out[j].row].data()) == out[j].best);
    }
    // One code to choose from: no second.
    std::vector<TwoNearest> one(1);
    k->two_nearest(a.data(), 1, b.data(), 1, one.data());
    CHECK(one[0].row == 0);
    CHECK(one[0].best == NaiveDistance(theirs[0].data(), mine[0].data()));
    CHECK(one[0].second == 257);
  }
}

TEST_CASE("two_nearest agrees across kernels on every tail length and on ties",
          "[index][hamming]") {
  // The AVX-512 set takes codes eight at a time: every count modulo 8, and
  // codes repeated so that equal distances must resolve to the first row.
  std::mt19937_64 rng(5);
  std::vector<Code> theirs;
  for (int i = 0; i < 40; ++i) theirs.push_back(RandomCode(rng));
  const std::vector<uint8_t> a = testing::Flatten(theirs);
  for (size_t n : {1, 2, 7, 8, 9, 15, 16, 17, 63, 64, 65, 333}) {
    std::vector<Code> mine;
    for (size_t i = 0; i < n; ++i) {
      if (i % 5 == 4) {
        mine.push_back(mine[rng() % mine.size()]);  // a repeat: a tie
      } else {
        mine.push_back(FlipBits(theirs[rng() % theirs.size()], static_cast<int>(rng() % 90), rng));
      }
    }
    const std::vector<uint8_t> b = testing::Flatten(mine);
    // The portable kernel is the reference (checked against OpenCV above).
    std::vector<TwoNearest> want(theirs.size());
    PortableHammingKernels().two_nearest(a.data(), theirs.size(), b.data(), n, want.data());
    for (size_t j = 0; j < theirs.size(); ++j) {
      // Of equal distances the first row: no earlier row is as near.
      for (uint32_t i = 0; i < want[j].row; ++i) {
        CHECK(NaiveDistance(theirs[j].data(), mine[i].data()) > want[j].best);
      }
    }
    for (const HammingKernels* k : AllKernels()) {
      INFO(k->name << ", " << n << " codes");
      std::vector<TwoNearest> out(theirs.size());
      k->two_nearest(a.data(), theirs.size(), b.data(), n, out.data());
      for (size_t j = 0; j < theirs.size(); ++j) {
        CHECK(out[j].row == want[j].row);
        CHECK(out[j].best == want[j].best);
        CHECK(out[j].second == want[j].second);
      }
    }
  }
}

}  // namespace
}  // namespace hashwatch
