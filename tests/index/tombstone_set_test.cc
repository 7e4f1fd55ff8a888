#include "index/tombstone_set.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

namespace hashwatch {
namespace {

TEST_CASE("TombstoneSet marks rows removed once", "[index]") {
  TombstoneSet set(130);
  CHECK(set.count() == 0);
  CHECK_FALSE(set.Contains(129));
  CHECK(set.Insert(129));
  CHECK_FALSE(set.Insert(129));
  CHECK(set.Insert(0));
  CHECK(set.Contains(129));
  CHECK(set.Contains(0));
  CHECK_FALSE(set.Contains(64));
  CHECK(set.count() == 2);
}

TEST_CASE("TombstoneSet counts concurrent inserts exactly", "[index][concurrency]") {
  TombstoneSet set(10000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    // Overlapping ranges: every row is inserted by two threads.
    threads.emplace_back([&set, t = size_t(t)] {
      for (size_t row = t * 2500; row < t * 2500 + 5000; ++row) {
        set.Insert(row % 10000);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(set.count() == 10000);
}

}  // namespace
}  // namespace hashwatch
