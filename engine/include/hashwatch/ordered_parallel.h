// OrderedParallelStream and OrderedParallelMap: run independent work items on
// a fixed number of threads and hand their results back in input order, on
// the calling thread.
//
// This is how the CLI and batch callers hash or scan many files: results come
// out deterministic and streamable. OrderedParallelStream takes its items from
// a source that may block (paths arriving on a pipe): each result is handed to
// `emit` as soon as it and every earlier one are done, without waiting for the
// source to end, and besides the one being emitted at most `jobs * 4` items
// are held at once (taken from the source, being worked on, or finished and
// waiting for a slow earlier one), however long the stream.
//
// Thread safety: `next` is called from one thread at a time (with jobs > 1 a
// reader thread of its own, so a blocking source never holds back results);
// `work` is called concurrently from up to `jobs` threads and must be safe for
// that; `emit` is only ever called from the calling thread, one result at a
// time, in input order. The functions return after the source ended (`next`
// returned nullopt) and every item it gave was emitted.
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
#include <utility>
#include <vector>

namespace hashwatch {

template <typename Item, typename Result>
void OrderedParallelStream(const std::function<std::optional<Item>()>& next, int jobs,
                           const std::function<Result(const Item&)>& work,
                           const std::function<void(Item&&, Result&&)>& emit) {
  jobs = std::max(1, jobs);
  if (jobs == 1) {
    // Every earlier item is emitted before the source is asked for the next.
    for (std::optional<Item> item = next(); item.has_value(); item = next()) {
      Result r = work(*item);
      emit(std::move(*item), std::move(r));
    }
    return;
  }
  const size_t window = static_cast<size_t>(jobs) * 4;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<size_t, Item>> queued;  // taken from the source, not started
  // ready[k] holds item emitted + k once its work is done.
  std::deque<std::optional<std::pair<Item, Result>>> ready;
  size_t taken = 0;  // items the source gave
  size_t emitted = 0;
  bool source_done = false;

  std::thread reader([&] {
    for (;;) {
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return taken < emitted + window; });
      }
      std::optional<Item> item = next();  // may block: no lock held
      {
        std::lock_guard lock(mu);
        if (!item.has_value()) {
          source_done = true;
        } else {
          queued.emplace_back(taken++, std::move(*item));
        }
      }
      cv.notify_all();
      if (!item.has_value()) return;
    }
  });
  auto worker = [&] {
    for (;;) {
      std::optional<std::pair<size_t, Item>> job;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return !queued.empty() || source_done; });
        if (queued.empty()) return;  // and the source is done
        job.emplace(std::move(queued.front()));
        queued.pop_front();
      }
      Result r = work(job->second);
      {
        std::lock_guard lock(mu);
        const size_t slot = job->first - emitted;
        if (ready.size() <= slot) ready.resize(slot + 1);
        ready[slot].emplace(std::move(job->second), std::move(r));
      }
      cv.notify_all();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(jobs);
  for (int t = 0; t < jobs; ++t) threads.emplace_back(worker);

  for (;;) {
    std::optional<std::pair<Item, Result>> done;
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] {
        return (!ready.empty() && ready.front().has_value()) || (source_done && emitted == taken);
      });
      if (ready.empty() || !ready.front().has_value()) break;  // all emitted
      done = std::move(ready.front());
      ready.pop_front();
      ++emitted;
    }
    cv.notify_all();
    emit(std::move(done->first), std::move(done->second));
  }
  reader.join();
  for (auto& t : threads) t.join();
}

// The same over the items 0..count-1.
template <typename Result>
void OrderedParallelMap(size_t count, int jobs, const std::function<Result(size_t)>& work,
                        const std::function<void(size_t, Result&&)>& emit) {
  size_t i = 0;
  OrderedParallelStream<size_t, Result>(
      [&]() -> std::optional<size_t> {
        if (i >= count) return std::nullopt;
        return i++;
      },
      jobs, [&](const size_t& k) { return work(k); },
      [&](size_t&& k, Result&& r) { emit(k, std::move(r)); });
}

}  // namespace hashwatch

#endif  // HASHWATCH_ORDERED_PARALLEL_H_
