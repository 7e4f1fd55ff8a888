#include "index/hamming_kernels.h"

#include <catch2/catch.hpp>
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

TEST_CASE("BestHammingKernels uses POPCNT when the CPU has it", "[index][hamming]") {
  __builtin_cpu_init();
  const bool has_popcnt = __builtin_cpu_supports("popcnt");
  CHECK((PopcntHammingKernels() != nullptr) == has_popcnt);
  CHECK(&BestHammingKernels() == (has_popcnt ? PopcntHammingKernels() : &PortableHammingKernels()));
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

}  // namespace
}  // namespace hashwatch
