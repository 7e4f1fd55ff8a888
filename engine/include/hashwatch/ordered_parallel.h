// OrderedParallelMap: run independent work items on a fixed number of threads
// and hand their results back in input order, on the calling thread.
//
// This is how the CLI and batch callers hash or scan many files: results come
// out deterministic and streamable, and at most `jobs * 4` finished results
// wait in memory for a slow earlier item.
//
// Thread safety: `work` is called concurrently from up to `jobs` threads and
// must be safe for that; `emit` is only ever called from the calling thread,
// one result at a time, in index order.
#ifndef HASHWATCH_ORDERED_PARALLEL_H_
#define HASHWATCH_ORDERED_PARALLEL_H_

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace hashwatch {

template <typename Result>
void OrderedParallelMap(size_t count, int jobs, const std::function<Result(size_t)>& work,
                        const std::function<void(size_t, Result&&)>& emit) {
  jobs = std::max(1, jobs);
  if (jobs == 1) {
    for (size_t i = 0; i < count; ++i) emit(i, work(i));
    return;
  }
  const size_t window = static_cast<size_t>(jobs) * 4;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::optional<Result>> ready;  // ready[k] holds result emitted_ + k
  size_t next_to_start = 0;
  size_t emitted = 0;

  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return next_to_start >= count || next_to_start < emitted + window; });
        if (next_to_start >= count) return;
        i = next_to_start++;
      }
      Result r = work(i);
      {
        std::lock_guard lock(mu);
        size_t slot = i - emitted;
        if (ready.size() <= slot) ready.resize(slot + 1);
        ready[slot].emplace(std::move(r));
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(jobs);
  for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);

  while (emitted < count) {
    Result r;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return !ready.empty() && ready.front().has_value(); });
      r = std::move(*ready.front());
      ready.pop_front();
      ++emitted;
    }
    cv.notify_all();
    emit(emitted - 1, std::move(r));
  }
  for (auto& t : threads) t.join();
}

}  // namespace hashwatch

#endif  // HASHWATCH_ORDERED_PARALLEL_H_
