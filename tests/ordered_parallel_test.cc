#include "hashwatch/ordered_parallel.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace hashwatch {
namespace {

TEST_CASE("OrderedParallelStream emits each result before the source gives the next item",
          "[parallel][concurrency]") {
  for (int jobs : {1, 2, 4}) {
    INFO("jobs " << jobs);
    std::mutex mu;
    std::condition_variable cv;
    int emitted = 0;
    int next = 0;
    bool starved = false;
    std::vector<int> order;
    // Like a crawler that sends a path only after reading the previous
    // answer: a stream that waited for more input before answering would
    // never get it (the wait gives up after 30 s and the test fails).
    OrderedParallelStream<int, int>(
        [&]() -> std::optional<int> {
          std::unique_lock lock(mu);
          if (next == 20) return std::nullopt;
          if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return emitted == next; })) {
            starved = true;
            return std::nullopt;
          }
          return next++;
        },
        jobs, [](const int& i) { return i * i; },
        [&](int&& i, int&& square) {
          CHECK(square == i * i);
          order.push_back(i);
          std::lock_guard lock(mu);
          ++emitted;
          cv.notify_all();
        });
    CHECK_FALSE(starved);
    REQUIRE(order.size() == 20);
    for (int i = 0; i < 20; ++i) CHECK(order[i] == i);
  }
}

TEST_CASE("OrderedParallelStream holds at most jobs * 4 items however long the stream",
          "[parallel][concurrency]") {
  const int jobs = 3;
  std::atomic<int> taken{0}, emitted{0}, most{0};
  std::vector<int> order;
  OrderedParallelStream<int, int>(
      [&]() -> std::optional<int> {
        if (taken == 5000) return std::nullopt;
        const int held = taken - emitted + 1;
        most = std::max(most.load(), held);
        return taken++;
      },
      jobs,
      [](const int& i) {
        // Every 100th item is slow: the ones after it wait, finished.
        if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return i;
      },
      [&](int&& i, int&&) {
        order.push_back(i);
        ++emitted;
      });
  CHECK(most <= jobs * 4 + 1);  // the window, and the one being emitted
  REQUIRE(order.size() == 5000);
  for (int i = 0; i < 5000; ++i) REQUIRE(order[i] == i);
}

TEST_CASE("OrderedParallelMap keeps input order", "[parallel][concurrency]") {
  std::vector<size_t> out;
  OrderedParallelMap<size_t>(
      1000, 4, [](size_t i) { return i + 1; },
      [&](size_t i, size_t&& v) {
        CHECK(v == i + 1);
        out.push_back(i);
      });
  REQUIRE(out.size() == 1000);
  for (size_t i = 0; i < out.size(); ++i) CHECK(out[i] == i);
}

}  // namespace
}  // namespace hashwatch
