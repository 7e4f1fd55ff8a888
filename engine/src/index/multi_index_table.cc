#include "index/multi_index_table.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <exception>
#include <thread>

#include "index/index_hit.h"

namespace hashwatch {
namespace {

// Probes ahead of the one being scanned whose directory line, then entries
// line, are prefetched: two dependent misses per probe, ~8 probes per stage
// keeps 10-16 misses in flight (one core's line-fill buffers).
constexpr size_t kPrefetchProbes = 8;

struct Probe {
  uint32_t table;
  uint32_t bucket;
  uint32_t suffix;  // the query's key bits below the directory bits
  int32_t budget;   // bit differences still allowed within the suffix
  uint32_t begin;   // entries range, filled by the pipeline
  uint32_t end;
};

// Partitions of the two-pass scatter in Build: 2^11 write streams, each run
// of buckets ~n/2048 entries (40 KB of entries per table at 10M codes).
constexpr int kPartitionBits = 11;

int Popcount32(uint32_t x) {
  // Suffixes are short; a portable SWAR count (Hacker's Delight, 5-2) keeps
  // this file free of CPU-specific builds.
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  x = (x + (x >> 4)) & 0x0F0F0F0Fu;
  return static_cast<int>((x * 0x01010101u) >> 24);
}

}  // namespace

MultiIndexTable MultiIndexTable::Build(const uint8_t* codes, size_t n, const MultiIndexPlan& plan,
                                       int threads) {
  MultiIndexTable t;
  t.plan_ = plan;
  t.n_ = n;
  t.row_bits_ = n <= 1 ? 1 : std::bit_width(n - 1);
  const int floor_log2_n = n == 0 ? 0 : std::bit_width(n) - 1;
  t.tables_.resize(plan.substrings());
  for (int i = 0; i < plan.substrings(); ++i) {
    const int b = plan.bits(i);
    int d = floor_log2_n - kDirShift;
    d = std::max(d, b - (32 - t.row_bits_));  // the suffix must fit the entry
    d = std::clamp(d, 0, b);
    t.tables_[i].dir_bits = d;
    t.tables_[i].suffix_bits = b - d;
  }
  for (int r = 0; r <= kPdqMatchRadius; ++r) {
    t.thresholds_.push_back(plan.Thresholds(r, n));
  }
  // Each table is independent. Threads are this call's own and end with it.
  const int m = plan.substrings();
  const int workers = std::clamp(threads, 1, m);
  // Each worker reuses one staging buffer (8 bytes per code) for its tables.
  // A worker's exception (std::bad_alloc) is rethrown here after the join.
  std::vector<std::exception_ptr> errors(workers);
  auto work = [&t, &errors, codes, workers, m](int w) {
    try {
      HugePageArray<uint64_t> staging(t.n_, /*huge=*/false);
      for (int i = w; i < m; i += workers) t.BuildTable(codes, i, &staging);
    } catch (...) {
      errors[w] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  try {
    for (int w = 1; w < workers; ++w) pool.emplace_back(work, w);
  } catch (...) {  // std::system_error: no thread; join the ones started
    for (std::thread& th : pool) th.join();
    throw;
  }
  work(0);
  for (std::thread& th : pool) th.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return t;
}

void MultiIndexTable::BuildTable(const uint8_t* codes, int i, HugePageArray<uint64_t>* staging) {
  Table& table = tables_[i];
  const int s = table.suffix_bits;
  const int d = table.dir_bits;
  const uint32_t suffix_mask = (uint32_t{1} << s) - 1;
  const size_t buckets = size_t{1} << d;
  table.dir = HugePageArray<uint32_t>(buckets + 1);
  table.entries = HugePageArray<uint32_t>(n_);
  uint32_t* dir = table.dir.data();
  uint32_t* entries = table.entries.data();
  // Counting sort by bucket (the key's top d bits): count into dir[k + 1]
  // and prefix-sum, so dir[k] is bucket k's start.
  for (size_t row = 0; row < n_; ++row) {
    ++dir[(plan_.Extract(codes + 32 * row, i) >> s) + 1];
  }
  for (size_t k = 1; k <= buckets; ++k) dir[k] += dir[k - 1];
  // Scattering n rows straight into their buckets is n cache misses (the
  // entries are 4n bytes). Instead scatter in two cache-friendly passes:
  // first into kPartitions contiguous runs of buckets (few write streams),
  // then each run, whose entries and cursors fit in L2, into its buckets.
  // Cursor trick: dir[k] advances to bucket k's end (= bucket k + 1's start)
  // and is shifted back by one at the end.
  const int part_bits = std::min(d, kPartitionBits);
  const int part_shift = d - part_bits;
  const size_t parts = size_t{1} << part_bits;
  uint64_t* staged = staging->data();  // (key << 32) | row, partitioned
  std::vector<uint32_t> cursor(parts);
  for (size_t p = 0; p < parts; ++p) cursor[p] = dir[p << part_shift];
  for (size_t row = 0; row < n_; ++row) {
    const uint32_t key = plan_.Extract(codes + 32 * row, i);
    staged[cursor[(key >> s) >> part_shift]++] = (uint64_t{key} << 32) | static_cast<uint32_t>(row);
  }
  for (size_t j = 0; j < n_; ++j) {
    const uint64_t item = staged[j];
    const uint32_t key = static_cast<uint32_t>(item >> 32);
    entries[dir[key >> s]++] = ((key & suffix_mask) << row_bits_) | static_cast<uint32_t>(item);
  }
  std::memmove(dir + 1, dir, buckets * sizeof(uint32_t));
  dir[0] = 0;
}

void MultiIndexTable::CollectCandidates(const uint8_t* query, int radius,
                                        std::vector<uint32_t>* rows) const {
  if (n_ == 0 || radius < 0) return;
  radius = std::min(radius, kPdqMatchRadius);
  thread_local std::vector<Probe> probes;
  probes.clear();
  const std::vector<int>& thresholds = thresholds_[radius];
  for (int i = 0; i < plan_.substrings(); ++i) {
    const int t = thresholds[i];
    if (t < 0) continue;
    const Table& table = tables_[i];
    const int d = table.dir_bits;
    const uint32_t key = plan_.Extract(query, i);
    const uint32_t high = key >> table.suffix_bits;
    const uint32_t suffix = key & ((uint32_t{1} << table.suffix_bits) - 1);
    // All buckets whose top bits differ from the query's in e <= t places
    // (Gosper's hack enumerates the d-bit masks with e bits set); each
    // bucket is visited once and keeps entries with suffix distance <= t - e.
    for (int e = 0; e <= std::min(t, d); ++e) {
      const uint64_t limit = uint64_t{1} << d;
      for (uint64_t mask = (uint64_t{1} << e) - 1; mask < limit;) {
        probes.push_back(
            {static_cast<uint32_t>(i), high ^ static_cast<uint32_t>(mask), suffix, t - e, 0, 0});
        if (mask == 0) break;
        const uint64_t c = mask & (~mask + 1);
        const uint64_t r = mask + c;
        mask = (((r ^ mask) >> 2) / c) | r;
      }
    }
  }
  // Three-stage software pipeline: prefetch a directory line, then read it
  // and prefetch the entries it points to, then scan those entries.
  const uint32_t row_mask = row_bits_ >= 32 ? ~uint32_t{0} : (uint32_t{1} << row_bits_) - 1;
  const size_t p = probes.size();
  for (size_t k = 0; k < p + 2 * kPrefetchProbes; ++k) {
    if (k < p) {
      __builtin_prefetch(tables_[probes[k].table].dir.data() + probes[k].bucket);
    }
    if (k >= kPrefetchProbes && k - kPrefetchProbes < p) {
      Probe& pr = probes[k - kPrefetchProbes];
      const uint32_t* dir = tables_[pr.table].dir.data();
      pr.begin = dir[pr.bucket];
      pr.end = dir[pr.bucket + 1];
      __builtin_prefetch(tables_[pr.table].entries.data() + pr.begin);
    }
    if (k >= 2 * kPrefetchProbes && k - 2 * kPrefetchProbes < p) {
      const Probe& pr = probes[k - 2 * kPrefetchProbes];
      const Table& table = tables_[pr.table];
      const uint32_t* e = table.entries.data();
      if (pr.budget >= table.suffix_bits) {
        for (uint32_t j = pr.begin; j < pr.end; ++j) {
          rows->push_back(e[j] & row_mask);
        }
      } else if (pr.budget == 0) {
        for (uint32_t j = pr.begin; j < pr.end; ++j) {
          if ((e[j] >> row_bits_) == pr.suffix) rows->push_back(e[j] & row_mask);
        }
      } else {
        for (uint32_t j = pr.begin; j < pr.end; ++j) {
          if (Popcount32((e[j] >> row_bits_) ^ pr.suffix) <= pr.budget) {
            rows->push_back(e[j] & row_mask);
          }
        }
      }
    }
  }
}

size_t MultiIndexTable::MemoryBytes() const {
  size_t bytes = 0;
  for (const Table& t : tables_) {
    bytes += t.dir.mapped_bytes() + t.entries.mapped_bytes();
  }
  return bytes;
}

}  // namespace hashwatch
