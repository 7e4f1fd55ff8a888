// hashwatch-bench load: scans against a large catalog while enrolment and
// withdrawal run (issue 9 item 5). Results and the command:
// docs/benchmarks.md, "Load: scans during enrolment and withdrawal".
//
// One Catalog object, as a monitoring pipeline holds it. `--threads` scanner
// threads call Catalog::MatchSignal continuously with plain PDQ options (one
// radius-31 search of the hash as given: no dihedral variants, no views, no
// verification, no embedding) on a mix of
//   - random hashes, which must match nothing;
//   - hashes of enrolments acknowledged earlier in the run, which must match
//     their item unless a withdrawal of their case began meanwhile;
//   - hashes of cases whose Withdraw returned, which must match nothing
//     ("a Match that starts after Withdraw returned never reports the
//     withdrawn case", catalog.h).
// One writer thread enrols a new case (one fresh item) at a steady rate and
// withdraws some of them. Each case's state is published to the scanners
// through an atomic only after the call returned OK, so a scanner judges only
// what the API had promised when its query began. After the run the catalog
// is closed and reopened from its file, and every acknowledged enrolment must
// be there and match, every withdrawn case be withdrawn and match nothing.
//
// Nothing here asserts a time: latencies are reported as percentiles, the
// exit status only reflects errors, lost enrolments and wrong matches.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_commands.h"
#include "hashwatch/catalog.h"
#include "measure.h"
#include "pdq_like_generator.h"

namespace hashwatch::bench {
namespace {

using PdqCode = std::array<uint8_t, 32>;

constexpr char kOperator[] = "hashwatch-bench";

// A run-enrolled case as the scanners see it.
enum CaseState : int {
  kAcknowledged = 1,    // the enrolment returned OK
  kWithdrawing = 2,     // Withdraw was called and has not returned
  kWithdrawn = 3,       // Withdraw returned OK
  kWithdrawFailed = 4,  // Withdraw returned an error: outcome unknown, not judged
};

// One acknowledged enrolment. Everything but the atomics is written once by
// the writer before the slot is published (LoadState::published, release)
// and only read afterwards.
struct Slot {
  CaseId case_id;
  ItemId item = 0;
  PdqCode code{};
  std::atomic<int> state{0};
  std::atomic<int64_t> withdrawn_ns{0};  // when Withdraw returned, since the run's start
};

struct LoadState {
  explicit LoadState(int64_t capacity)
      : capacity(capacity),
        slots(new Slot[static_cast<size_t>(capacity)]),
        withdrawn(new int64_t[static_cast<size_t>(capacity)]) {}
  const int64_t capacity;
  std::unique_ptr<Slot[]> slots;
  std::atomic<int64_t> published{0};        // slots [0, published) are acknowledged enrolments
  std::unique_ptr<int64_t[]> withdrawn;     // slot numbers whose Withdraw returned OK
  std::atomic<int64_t> withdrawn_count{0};  // entries [0, withdrawn_count) are set
};

// A call that did not return OK, kept for the report (the first few).
class ErrorLog {
 public:
  void Add(const std::string& what, const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    ++count_;
    if (first_.size() < 10) first_.push_back(what + ": " + status.ToString());
  }
  int64_t count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return count_;
  }
  std::vector<std::string> first() const {
    std::lock_guard<std::mutex> lock(mu_);
    return first_;
  }

 private:
  mutable std::mutex mu_;
  int64_t count_ = 0;
  std::vector<std::string> first_;
};

struct Violation {
  std::string kind;  // "withdrawn matched", "acknowledged missed", "random matched", ...
  std::string case_id;
  double at_seconds = 0;          // since the run's start, when the query began
  double after_withdraw_ms = -1;  // withdrawn matched: query start - Withdraw's return
};

// What one scanner thread saw.
struct ScanTally {
  std::vector<double> latency_ms;
  int64_t random = 0, random_matched = 0;
  int64_t acknowledged = 0, acknowledged_missed = 0;
  int64_t withdrawn = 0, withdrawn_matched = 0;
  int64_t in_flight = 0;      // a withdrawal began during the query: not judged
  int64_t other_matches = 0;  // a known hash that also matched another item
  int64_t low_quality = 0;    // should not happen (queries have quality 100)
  std::vector<Violation> violations;
};

struct Percentiles {
  int64_t n = 0;
  double p50 = 0, p99 = 0, max = 0;
};

// Nearest-rank percentiles; the median as measure.h defines it.
Percentiles Summarise(std::vector<double> v) {
  Percentiles p;
  p.n = static_cast<int64_t>(v.size());
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    const size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, k == 0 ? 0 : k - 1)];
  };
  p.p50 = Median(v);
  p.p99 = rank(0.99);
  p.max = v.back();
  return p;
}

nlohmann::json ToJson(const Percentiles& p) {
  return {{"count", p.n}, {"p50_ms", p.p50}, {"p99_ms", p.p99}, {"max_ms", p.max}};
}

std::string Hex(const PdqCode& code) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (uint8_t b : code) {
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

bool ParseHex(const std::string& hex, PdqCode* code) {
  if (hex.size() != 64) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < 32; ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*code)[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return true;
}

void RandomCode(Rng& rng, PdqCode* code) {
  for (int w = 0; w < 4; ++w) {
    uint64_t r = rng.Next();
    for (int k = 0; k < 8; ++k, r >>= 8) (*code)[8 * w + k] = static_cast<uint8_t>(r);
  }
}

// Adds `n` uniformly random PDQ hashes through the public import path, in
// one plain-list import (one transaction) per `chunk` hashes, into cases
// `<prefix>0`, `<prefix>1`, ... (the way `hashwatch-bench catalog` fills).
absl::Status Fill(Catalog& catalog, int64_t n, int64_t chunk, uint64_t seed,
                  const std::string& prefix) {
  const Clock::time_point start = Clock::now();
  Rng rng{seed};
  PdqCode code{};
  for (int64_t done = 0; done < n;) {
    const int64_t lines = std::min(chunk, n - done);
    std::string text;
    text.reserve(static_cast<size_t>(lines) * 65);
    for (int64_t i = 0; i < lines; ++i) {
      RandomCode(rng, &code);
      text += Hex(code);
      text += '\n';
    }
    std::istringstream in(std::move(text));
    ImportRequest request;
    request.case_id = prefix + std::to_string(done / chunk);
    request.label = "synthetic";
    request.source_name = "bench";
    request.operator_name = kOperator;
    absl::StatusOr<ImportResult> result = catalog.ImportHashes(request, in);
    if (!result.ok()) return result.status();
    done += lines;
    std::fprintf(stderr, "\rfilled %" PRId64 " / %" PRId64 " (%.0f s)", done, n,
                 Seconds(start, Clock::now()));
  }
  std::fprintf(stderr, "\n");
  return absl::OkStatus();
}

// A small photo-like JPEG nobody has enrolled before: a random 12x12 colour
// grid enlarged smoothly to 256x256 plus a little noise. Its PDQ quality is
// high (it has structure everywhere), and two of them are ~128 bits apart.
std::vector<uint8_t> GenerateImage(Rng& rng) {
  cv::Mat small(12, 12, CV_8UC3);
  for (int y = 0; y < small.rows; ++y) {
    for (int x = 0; x < small.cols; ++x) {
      const uint64_t r = rng.Next();
      small.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uint8_t>(r), static_cast<uint8_t>(r >> 8),
                                            static_cast<uint8_t>(r >> 16));
    }
  }
  cv::Mat image;
  cv::resize(small, image, cv::Size(256, 256), 0, 0, cv::INTER_CUBIC);
  cv::Mat noise(image.size(), CV_8UC3);
  cv::RNG cv_rng(rng.Next());
  cv_rng.fill(noise, cv::RNG::UNIFORM, 0, 12);
  image += noise;
  std::vector<uint8_t> jpeg;
  cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 90});
  return jpeg;
}

MatchOptions PlainPdqOptions() {
  MatchOptions o;
  o.threshold = 31;
  o.dihedral = false;
  o.query_views = false;
  o.stored_views = false;
  o.verify = false;
  o.embedding = false;
  return o;
}

Signal PdqSignal(const PdqCode& code) {
  Signal s;
  s.type = "pdq";
  s.hash.assign(code.begin(), code.end());
  s.quality = 100;
  return s;
}

bool Matched(const MatchResult& r, const Slot& slot) {
  for (const Match& m : r.matches) {
    if (m.item == slot.item || m.case_id == slot.case_id) return true;
  }
  return false;
}

struct Config {
  int threads = 2;
  double seconds = 60;
  std::string enrol = "image";
  double enrol_rate = 20;
  double withdraw_share = 0.25;
  std::vector<int> mix = {50, 30, 20};
  uint64_t seed = 0;  // 0: from the clock and the process id
  bool publish_early = false;
};

void ScanLoop(const Catalog& catalog, const LoadState& state, const Config& config, int thread,
              Clock::time_point start, Clock::time_point deadline, ErrorLog* errors,
              ScanTally* tally) {
  Rng rng{config.seed * 1000003 + static_cast<uint64_t>(thread) + 17};
  const MatchOptions options = PlainPdqOptions();
  const double total = config.mix[0] + config.mix[1] + config.mix[2];
  const double p_random = config.mix[0] / total;
  const double p_acknowledged = config.mix[1] / total;
  tally->latency_ms.reserve(1 << 20);
  Signal query = PdqSignal(PdqCode{});
  PdqCode code{};
  for (;;) {
    const Clock::time_point t0 = Clock::now();
    if (t0 >= deadline) break;
    const double u = rng.Uniform();
    const Slot* slot = nullptr;
    if (u >= p_random && u < p_random + p_acknowledged) {
      const int64_t n = state.published.load(std::memory_order_acquire);
      if (n > 0) slot = &state.slots[rng.Below(static_cast<uint32_t>(n))];
    } else if (u >= p_random + p_acknowledged) {
      const int64_t n = state.withdrawn_count.load(std::memory_order_acquire);
      if (n > 0) slot = &state.slots[state.withdrawn[rng.Below(static_cast<uint32_t>(n))]];
    }
    if (slot == nullptr) {
      RandomCode(rng, &code);
      std::copy(code.begin(), code.end(), query.hash.begin());
    } else {
      std::copy(slot->code.begin(), slot->code.end(), query.hash.begin());
    }
    // The state before the query began and after it returned.
    const int before = slot ? slot->state.load() : 0;
    const Clock::time_point q0 = Clock::now();
    absl::StatusOr<MatchResult> result = catalog.MatchSignal(query, options);
    const Clock::time_point q1 = Clock::now();
    const int after = slot ? slot->state.load() : 0;
    tally->latency_ms.push_back(1e3 * Seconds(q0, q1));
    if (!result.ok()) {
      errors->Add("MatchSignal", result.status());
      continue;
    }
    if (result->low_quality) ++tally->low_quality;
    const double at = Seconds(start, q0);
    if (slot == nullptr) {
      ++tally->random;
      if (!result->matches.empty()) {
        ++tally->random_matched;
        tally->violations.push_back({.kind = "random hash matched",
                                     .case_id = result->matches[0].case_id,
                                     .at_seconds = at,
                                     .after_withdraw_ms = -1});
      }
      continue;
    }
    const bool matched = Matched(*result, *slot);
    if (static_cast<size_t>(matched) < result->matches.size()) ++tally->other_matches;
    if (before == kAcknowledged && after == kAcknowledged) {
      ++tally->acknowledged;
      if (!matched) {
        ++tally->acknowledged_missed;
        tally->violations.push_back({.kind = "acknowledged enrolment not matched",
                                     .case_id = slot->case_id,
                                     .at_seconds = at,
                                     .after_withdraw_ms = -1});
      }
    } else if (before == kWithdrawn) {
      ++tally->withdrawn;
      if (matched) {
        ++tally->withdrawn_matched;
        const double returned = 1e-9 * static_cast<double>(slot->withdrawn_ns.load());
        tally->violations.push_back({.kind = "withdrawn case matched",
                                     .case_id = slot->case_id,
                                     .at_seconds = at,
                                     .after_withdraw_ms = 1e3 * (at - returned)});
      }
    } else {
      ++tally->in_flight;
    }
  }
}

struct WriterTally {
  std::vector<double> enrol_ms, withdraw_ms;
  int64_t enrol_attempts = 0, withdraw_attempts = 0;
  int64_t committed = 0;    // enrolment calls that returned OK (items added)
  int64_t not_indexed = 0;  // of which below quality 50: not offered to the scanners
  bool full = false;        // stopped enrolling: no free slot
};

void WriteLoop(Catalog& catalog, LoadState& state, const Config& config, const std::string& tag,
               Clock::time_point start, Clock::time_point deadline, ErrorLog* errors,
               WriterTally* tally) {
  Rng rng{config.seed * 7919 + 3};
  std::vector<int64_t> open;  // acknowledged slots not yet withdrawn
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / config.enrol_rate));
  Clock::time_point next = start;
  int64_t acknowledged = 0, withdrawn = 0;
  for (;;) {
    std::this_thread::sleep_until(next);
    const Clock::time_point now = Clock::now();
    if (now >= deadline) break;
    next += period;
    if (now - next > std::chrono::seconds(1)) next = now;  // fell behind: no burst
    if (acknowledged == state.capacity) {
      tally->full = true;
      break;
    }

    // Enrol one new case; its input is made before the clock starts.
    const CaseId case_id = tag + "-" + std::to_string(tally->enrol_attempts++);
    Slot& slot = state.slots[acknowledged];
    bool ok = false;
    if (config.enrol == "image") {
      const std::vector<uint8_t> jpeg = GenerateImage(rng);
      EnrollRequest request;
      request.case_id = case_id;
      request.label = "load bench";
      request.source_note = "generated.jpg";
      request.operator_name = kOperator;
      const Clock::time_point t0 = Clock::now();
      absl::StatusOr<EnrollResult> result = catalog.EnrollBytes(request, jpeg);
      const Clock::time_point t1 = Clock::now();
      if (!result.ok()) {
        errors->Add("EnrollBytes " + case_id, result.status());
      } else if (!ParseHex(result->pdq_hex, &slot.code)) {
        errors->Add("EnrollBytes " + case_id,
                    absl::InternalError("unreadable pdq_hex '" + result->pdq_hex + "'"));
      } else {
        tally->enrol_ms.push_back(1e3 * Seconds(t0, t1));
        ++tally->committed;
        if (!result->indexed) ++tally->not_indexed;
        slot.item = result->item;
        ok = result->indexed;  // one that cannot match is not offered to the scanners
      }
    } else {
      RandomCode(rng, &slot.code);
      std::istringstream in(Hex(slot.code) + "\n");
      ImportRequest request;
      request.case_id = case_id;
      request.label = "load bench";
      request.source_name = "load-bench";
      request.operator_name = kOperator;
      const Clock::time_point t0 = Clock::now();
      absl::StatusOr<ImportResult> result = catalog.ImportHashes(request, in);
      const Clock::time_point t1 = Clock::now();
      if (!result.ok()) {
        errors->Add("ImportHashes " + case_id, result.status());
      } else if (result->item_ids.size() != 1 || result->indexed != 1) {
        errors->Add("ImportHashes " + case_id,
                    absl::InternalError("expected 1 indexed item, got " +
                                        std::to_string(result->item_ids.size())));
      } else {
        tally->enrol_ms.push_back(1e3 * Seconds(t0, t1));
        ++tally->committed;
        slot.item = result->item_ids[0];
        ok = true;
      }
    }
    if (ok) {
      slot.case_id = case_id;
      slot.state.store(kAcknowledged);
      open.push_back(acknowledged);
      state.published.store(++acknowledged, std::memory_order_release);
    }

    // Withdraw a random open case now and then.
    if (open.empty() || rng.Uniform() >= config.withdraw_share) continue;
    const size_t k = rng.Below(static_cast<uint32_t>(open.size()));
    const int64_t victim = open[k];
    open[k] = open.back();
    open.pop_back();
    Slot& v = state.slots[victim];
    ++tally->withdraw_attempts;
    v.state.store(kWithdrawing);
    if (config.publish_early) {  // the negative control: promise before the call
      v.withdrawn_ns.store(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
      v.state.store(kWithdrawn);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const Clock::time_point t0 = Clock::now();
    absl::StatusOr<WithdrawResult> result = catalog.Withdraw(v.case_id, kOperator);
    const Clock::time_point t1 = Clock::now();
    if (!result.ok() || result->already_withdrawn || result->items != 1) {
      errors->Add("Withdraw " + v.case_id, result.ok()
                                               ? absl::InternalError("unexpected result: items " +
                                                                     std::to_string(result->items))
                                               : result.status());
      v.state.store(kWithdrawFailed);
      continue;
    }
    tally->withdraw_ms.push_back(1e3 * Seconds(t0, t1));
    if (!config.publish_early) {
      v.withdrawn_ns.store(
          std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - start).count());
      v.state.store(kWithdrawn);
    }
    state.withdrawn[withdrawn] = victim;
    state.withdrawn_count.store(++withdrawn, std::memory_order_release);
  }
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  char text[64];
  std::snprintf(text, sizeof(text), "%.2f %.2f %.2f", a, b, c);
  return text;
}

void PrintLatency(const char* what, const Percentiles& p) {
  std::printf("  %-12s latency ms: p50 %.3f  p99 %.3f  max %.3f  (%" PRId64 " calls)\n", what,
              p.p50, p.p99, p.max, p.n);
}

}  // namespace

int RunLoadBench(int argc, char** argv) {
  CLI::App app{
      "Concurrent scans (Catalog::MatchSignal, plain PDQ) against a catalog of N hashes while\n"
      "one writer enrols new cases and withdraws some. Checks that no acknowledged enrolment\n"
      "is lost or missed and that no case matches after its Withdraw returned, during the run\n"
      "and after reopening the catalog. Exit status 1 on any error, loss or wrong match."};
  Config config;
  int64_t items = 1'000'000;
  int64_t chunk = 1'000'000;
  std::string db, json_path;
  bool keep = false;
  app.add_option("--threads", config.threads, "Scanner threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--seconds", config.seconds, "Length of the run")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  app.add_option("--items", items, "Hashes the catalog holds before the run (filled if fewer)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}));
  app.add_option("--chunk", chunk, "Hashes per import transaction when filling")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  app.add_option("--db", db,
                 "Catalog file, reused if it holds >= --items items (default: a temporary "
                 "file, removed afterwards)");
  app.add_flag("--keep", keep, "Keep the temporary catalog");
  app.add_option("--enrol", config.enrol,
                 "How new cases are enrolled: image (EnrollBytes of a generated 256x256 JPEG) "
                 "or hash (ImportHashes of one random hash)")
      ->capture_default_str()
      ->check(CLI::IsMember({"image", "hash"}));
  app.add_option("--enrol-rate", config.enrol_rate, "Enrolments per second")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 10000.0));
  app.add_option("--withdraw-share", config.withdraw_share,
                 "After each enrolment, the chance that a random open run case is withdrawn")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--mix", config.mix,
                 "Query shares: random, acknowledged enrolments, withdrawn cases")
      ->delimiter(',')
      ->expected(3)
      ->capture_default_str();
  app.add_option("--seed", config.seed,
                 "Random seed of the run (0: a new one each run; a seed used before on the same "
                 "--db enrols the same hashes again, which then match two cases)")
      ->capture_default_str();
  app.add_option("--json", json_path, "Also write the results as JSON to this file");
  app.add_flag("--publish-early", config.publish_early,
               "Negative control of the check: publish each withdrawal to the scanners 2 ms "
               "before calling Withdraw, as if it had returned; the run must then FAIL");
  CLI11_PARSE(app, argc, argv);
  if (config.mix.size() != 3 || config.mix[0] < 0 || config.mix[1] < 0 || config.mix[2] < 0 ||
      config.mix[0] + config.mix[1] + config.mix[2] == 0) {
    std::fprintf(stderr, "load: --mix needs three non-negative shares, not all 0\n");
    return 2;
  }

  if (config.seed == 0) {
    Rng clock{static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
              (static_cast<uint64_t>(::getpid()) << 40)};
    config.seed = clock.Next() | 1;
  }
  const bool temporary = db.empty();
  if (temporary) {
    db = (std::filesystem::temp_directory_path() /
          ("hashwatch-load-bench-" + std::to_string(::getpid()) + ".db"))
             .string();
  }
  auto remove_temporary = [&] {
    std::error_code ec;
    if (temporary && !keep) {
      for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix, ec);
    }
  };
  auto fail = [&](const char* what, const absl::Status& status) {
    std::fprintf(stderr, "load: %s: %s\n", what, status.ToString().c_str());
    remove_temporary();
    return 2;
  };
  // Cases of this run: unique across runs over the same file.
  const std::string tag = "load-" +
                          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count()) +
                          "-" + std::to_string(::getpid());

  // 1. The catalog: reuse, top up or fill.
  Clock::time_point t = Clock::now();
  absl::StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open(db);
  if (!opened.ok()) return fail("open", opened.status());
  std::unique_ptr<Catalog> catalog = *std::move(opened);
  const double first_open_s = Seconds(t, Clock::now());
  absl::StatusOr<CatalogStats> stats = catalog->Stats();
  if (!stats.ok()) return fail("stats", stats.status());
  std::string origin;
  double fill_s = 0;
  if (stats->items >= items) {
    origin = "reused (" + std::to_string(stats->items) + " items >= --items, not filled)";
  } else {
    const int64_t missing = items - stats->items;
    t = Clock::now();
    if (absl::Status s = Fill(*catalog, missing, chunk, config.seed ^ 0xF111ULL, tag + "-fill-");
        !s.ok()) {
      return fail("fill", s);
    }
    fill_s = Seconds(t, Clock::now());
    char text[128];
    std::snprintf(text, sizeof(text), "%s %" PRId64 " random hashes in %.1f s",
                  stats->items == 0 ? "filled with" : "topped up with", missing, fill_s);
    origin = text;
    // Open again, as a pipeline starts on an existing catalog: one bulk index
    // build instead of the imports' merges.
    catalog.reset();
    t = Clock::now();
    opened = Catalog::Open(db);
    if (!opened.ok()) return fail("reopen after fill", opened.status());
    catalog = *std::move(opened);
  }
  const double open_s = stats->items >= items ? first_open_s : Seconds(t, Clock::now());
  absl::StatusOr<CatalogStats> before = catalog->Stats();
  if (!before.ok()) return fail("stats", before.status());
  std::error_code ec;
  std::printf("catalog: %s, %.1f MB, %s\n", db.c_str(),
              static_cast<double>(std::filesystem::file_size(db, ec)) / 1e6, origin.c_str());
  std::printf("  %" PRId64 " items, %" PRId64 " PDQ hashes indexed, %" PRId64
              " cases open, %" PRId64 " withdrawn; open %.2f s\n",
              before->items, before->indexed_hashes, before->cases_open, before->cases_withdrawn,
              open_s);

  // 2. The run.
  const int64_t capacity = static_cast<int64_t>(config.enrol_rate * config.seconds * 1.25) + 1000;
  LoadState state(capacity);
  ErrorLog errors;
  std::vector<ScanTally> scans(static_cast<size_t>(config.threads));
  WriterTally writes;
  const std::string load_before = LoadAverage();
  std::printf(
      "run: %d scanner threads + 1 writer, %.0f s; enrol via %s at %.1f/s, withdraw share %.2f; "
      "query mix random/acknowledged/withdrawn %d/%d/%d; seed %" PRIu64 "\n",
      config.threads, config.seconds,
      config.enrol == "image" ? "EnrollBytes (generated 256x256 JPEG)" : "ImportHashes (1 hash)",
      config.enrol_rate, config.withdraw_share, config.mix[0], config.mix[1], config.mix[2],
      config.seed);
  std::printf(
      "  match options: threshold 31, dihedral off, query views off, stored views off, verify "
      "off, embedding off (one exact radius-31 PDQ search per query)\n");
  if (config.publish_early) {
    std::printf(
        "  NEGATIVE CONTROL (--publish-early): withdrawals are published before the call\n");
  }
  std::printf("  load average before: %s\n", load_before.c_str());
  std::fflush(stdout);
  const double cpu0 = ProcessCpuSeconds();
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::duration_cast<Clock::duration>(
                                                 std::chrono::duration<double>(config.seconds));
  std::vector<std::thread> threads;
  for (int i = 0; i < config.threads; ++i) {
    threads.emplace_back(ScanLoop, std::cref(*catalog), std::cref(state), std::cref(config), i,
                         start, deadline, &errors, &scans[static_cast<size_t>(i)]);
  }
  std::thread writer(WriteLoop, std::ref(*catalog), std::ref(state), std::cref(config),
                     std::cref(tag), start, deadline, &errors, &writes);
  for (std::thread& th : threads) th.join();
  writer.join();
  const double run_s = Seconds(start, Clock::now());
  const double cpu_s = ProcessCpuSeconds() - cpu0;
  const std::string load_after = LoadAverage();

  ScanTally all;
  for (ScanTally& s : scans) {
    all.latency_ms.insert(all.latency_ms.end(), s.latency_ms.begin(), s.latency_ms.end());
    all.random += s.random;
    all.random_matched += s.random_matched;
    all.acknowledged += s.acknowledged;
    all.acknowledged_missed += s.acknowledged_missed;
    all.withdrawn += s.withdrawn;
    all.withdrawn_matched += s.withdrawn_matched;
    all.in_flight += s.in_flight;
    all.other_matches += s.other_matches;
    all.low_quality += s.low_quality;
    all.violations.insert(all.violations.end(), s.violations.begin(), s.violations.end());
  }
  const Percentiles scan_p = Summarise(all.latency_ms);
  const Percentiles enrol_p = Summarise(writes.enrol_ms);
  const Percentiles withdraw_p = Summarise(writes.withdraw_ms);
  absl::StatusOr<CatalogStats> live_after = catalog->Stats();
  if (!live_after.ok()) errors.Add("Stats", live_after.status());

  const int64_t acknowledged = state.published.load();
  const int64_t withdrawn = state.withdrawn_count.load();
  std::printf("\nscans: %" PRId64 " in %.1f s = %.0f/s (%d threads)\n", scan_p.n, run_s,
              static_cast<double>(scan_p.n) / run_s, config.threads);
  PrintLatency("scan", scan_p);
  std::printf("  random hashes %" PRId64 " (matched: %" PRId64 "), acknowledged enrolments %" PRId64
              " (not matched: %" PRId64 "), withdrawn cases %" PRId64 " (matched: %" PRId64
              "), withdrawal in flight %" PRId64 " (not judged)\n",
              all.random, all.random_matched, all.acknowledged, all.acknowledged_missed,
              all.withdrawn, all.withdrawn_matched, all.in_flight);
  std::printf("enrolments: %" PRId64 " acknowledged of %" PRId64 " attempted (%.1f/s)%s\n",
              acknowledged, writes.enrol_attempts, static_cast<double>(acknowledged) / run_s,
              writes.full ? ", stopped: no free slot" : "");
  if (writes.not_indexed > 0) {
    std::printf("  %" PRId64 " enrolled below quality 50 (not indexed, not queried)\n",
                writes.not_indexed);
  }
  PrintLatency("enrol", enrol_p);
  std::printf("withdrawals: %" PRId64 " returned of %" PRId64 " attempted\n", withdrawn,
              writes.withdraw_attempts);
  PrintLatency("withdraw", withdraw_p);
  std::printf("cpu: %.1f s of process CPU in %.1f s (%.3f ms per scan, writer included)\n", cpu_s,
              run_s, scan_p.n ? 1e3 * cpu_s / static_cast<double>(scan_p.n) : 0.0);
  std::printf("load average after: %s\n", load_after.c_str());
  if (live_after.ok()) {
    std::printf("catalog after: %" PRId64 " items, %" PRId64 " PDQ hashes indexed\n",
                live_after->items, live_after->indexed_hashes);
  }
  std::fflush(stdout);

  // 3. Close, reopen from the file, check every run case.
  catalog.reset();
  t = Clock::now();
  opened = Catalog::Open(db, [] {
    CatalogOptions o;
    o.create_if_missing = false;
    return o;
  }());
  int64_t lost = 0, withdrawn_matched_after = 0, not_withdrawn_after = 0, open_checked = 0,
          withdrawn_checked = 0, withdrawn_bad = 0, unknown = 0;
  std::vector<std::string> lost_cases;
  double reopen_s = 0;
  bool counts_ok = false;
  int64_t items_after = 0, cases_withdrawn_after = 0;
  if (!opened.ok()) {
    errors.Add("reopen", opened.status());
  } else {
    catalog = *std::move(opened);
    reopen_s = Seconds(t, Clock::now());
    const MatchOptions options = PlainPdqOptions();
    for (int64_t i = 0; i < acknowledged; ++i) {
      const Slot& slot = state.slots[i];
      const int s = slot.state.load();
      if (s != kAcknowledged && s != kWithdrawn) {
        ++unknown;
        continue;
      }
      absl::StatusOr<MatchResult> r = catalog->MatchSignal(PdqSignal(slot.code), options);
      if (!r.ok()) {
        errors.Add("MatchSignal after reopen", r.status());
        continue;
      }
      const bool matched = Matched(*r, slot);
      if (s == kAcknowledged) {
        ++open_checked;
        bool exact = false;
        for (const Match& m : r->matches) {
          exact |= m.item == slot.item && m.case_id == slot.case_id && m.distance == 0;
        }
        if (!exact) {
          ++lost;
          if (lost_cases.size() < 10) lost_cases.push_back(slot.case_id);
        }
      } else {
        ++withdrawn_checked;
        if (matched) ++withdrawn_matched_after;
        // Withdraw on a withdrawn case changes nothing and says so.
        absl::StatusOr<WithdrawResult> w = catalog->Withdraw(slot.case_id, kOperator);
        if (!w.ok()) {
          errors.Add("Withdraw check after reopen", w.status());
        } else if (!w->already_withdrawn) {
          ++not_withdrawn_after;
        }
        if (matched || !w.ok() || !w->already_withdrawn) ++withdrawn_bad;
      }
    }
    absl::StatusOr<CatalogStats> after = catalog->Stats();
    if (!after.ok()) {
      errors.Add("Stats after reopen", after.status());
    } else {
      items_after = after->items;
      cases_withdrawn_after = after->cases_withdrawn;
      // Failed enrolments may or may not have committed; then the counts are
      // not checked (and the run fails anyway on the error).
      counts_ok = items_after == before->items + writes.committed &&
                  cases_withdrawn_after == before->cases_withdrawn + withdrawn;
    }
    catalog.reset();
  }
  const int64_t error_count = errors.count();
  const bool counts_checked = error_count == 0;
  std::printf("after reopen (%.2f s): %" PRId64 " items (expected %" PRId64 "), %" PRId64
              " withdrawn cases (expected %" PRId64 ")%s\n",
              reopen_s, items_after, before->items + writes.committed, cases_withdrawn_after,
              before->cases_withdrawn + withdrawn,
              counts_checked ? (counts_ok ? "" : "  MISMATCH") : "  (not checked: errors)");
  std::printf("  open run cases matching their item at distance 0: %" PRId64 " of %" PRId64
              "; withdrawn run cases withdrawn and unmatched: %" PRId64 " of %" PRId64 "\n",
              open_checked - lost, open_checked, withdrawn_checked - withdrawn_bad,
              withdrawn_checked);
  if (unknown > 0) {
    std::printf("  %" PRId64 " cases with a failed withdrawal not checked\n", unknown);
  }

  const int64_t lost_total = lost + all.acknowledged_missed;
  const int64_t withdrawn_violations =
      all.withdrawn_matched + withdrawn_matched_after + not_withdrawn_after;
  const int64_t other_violations = all.random_matched + all.other_matches + all.low_quality +
                                   (counts_checked && !counts_ok ? 1 : 0);
  std::printf("\nerrors: %" PRId64 "\n", error_count);
  for (const std::string& e : errors.first()) std::printf("  %s\n", e.c_str());
  std::printf("lost enrolments: %" PRId64 " (%" PRId64 " missed during the run, %" PRId64
              " after reopen)\n",
              lost_total, all.acknowledged_missed, lost);
  for (const std::string& c : lost_cases) std::printf("  lost: %s\n", c.c_str());
  std::printf("withdrawn cases matched: %" PRId64 " (%" PRId64 " during the run, %" PRId64
              " after reopen, %" PRId64 " not withdrawn after reopen)\n",
              withdrawn_violations, all.withdrawn_matched, withdrawn_matched_after,
              not_withdrawn_after);
  std::printf("other wrong results: %" PRId64 " (random hash matched %" PRId64
              ", extra matches %" PRId64 ", low quality %" PRId64 ")\n",
              other_violations, all.random_matched, all.other_matches, all.low_quality);
  for (size_t i = 0; i < std::min<size_t>(all.violations.size(), 10); ++i) {
    const Violation& v = all.violations[i];
    std::printf("  %s: %s at %.3f s", v.kind.c_str(), v.case_id.c_str(), v.at_seconds);
    if (v.after_withdraw_ms >= 0)
      std::printf(", %.3f ms after Withdraw returned", v.after_withdraw_ms);
    std::printf("\n");
  }
  const bool pass =
      error_count == 0 && lost_total == 0 && withdrawn_violations == 0 && other_violations == 0;
  std::printf("result: %s\n", pass ? "PASS" : "FAIL");

  if (!json_path.empty()) {
    nlohmann::json violations = nlohmann::json::array();
    for (const Violation& v : all.violations) {
      violations.push_back({{"kind", v.kind},
                            {"case", v.case_id},
                            {"at_seconds", v.at_seconds},
                            {"after_withdraw_ms", v.after_withdraw_ms}});
    }
    nlohmann::json j = {{"catalog",
                         {{"path", db},
                          {"origin", origin},
                          {"items", before->items},
                          {"indexed_hashes", before->indexed_hashes},
                          {"open_seconds", open_s},
                          {"fill_seconds", fill_s}}},
                        {"config",
                         {{"threads", config.threads},
                          {"seconds", config.seconds},
                          {"enrol", config.enrol},
                          {"enrol_rate", config.enrol_rate},
                          {"withdraw_share", config.withdraw_share},
                          {"mix", config.mix},
                          {"seed", config.seed},
                          {"publish_early", config.publish_early},
                          {"match", "threshold 31, dihedral/views/verify/embedding off"}}},
                        {"load_average_before", load_before},
                        {"load_average_after", load_after},
                        {"run_seconds", run_s},
                        {"cpu_seconds", cpu_s},
                        {"scans",
                         {{"per_second", static_cast<double>(scan_p.n) / run_s},
                          {"latency", ToJson(scan_p)},
                          {"random", all.random},
                          {"random_matched", all.random_matched},
                          {"acknowledged", all.acknowledged},
                          {"acknowledged_missed", all.acknowledged_missed},
                          {"withdrawn", all.withdrawn},
                          {"withdrawn_matched", all.withdrawn_matched},
                          {"in_flight", all.in_flight},
                          {"other_matches", all.other_matches},
                          {"low_quality", all.low_quality}}},
                        {"enrolments",
                         {{"attempted", writes.enrol_attempts},
                          {"acknowledged", acknowledged},
                          {"not_indexed", writes.not_indexed},
                          {"latency", ToJson(enrol_p)}}},
                        {"withdrawals",
                         {{"attempted", writes.withdraw_attempts},
                          {"returned", withdrawn},
                          {"latency", ToJson(withdraw_p)}}},
                        {"reopen",
                         {{"seconds", reopen_s},
                          {"items", items_after},
                          {"items_expected", before->items + writes.committed},
                          {"cases_withdrawn", cases_withdrawn_after},
                          {"cases_withdrawn_expected", before->cases_withdrawn + withdrawn},
                          {"open_checked", open_checked},
                          {"lost", lost},
                          {"withdrawn_checked", withdrawn_checked},
                          {"withdrawn_matched", withdrawn_matched_after},
                          {"not_withdrawn", not_withdrawn_after}}},
                        {"errors", error_count},
                        {"error_messages", errors.first()},
                        {"lost_enrolments", lost_total},
                        {"withdrawn_matched", withdrawn_violations},
                        {"other_wrong_results", other_violations},
                        {"violations", violations},
                        {"pass", pass}};
    std::ofstream out(json_path);
    out << j.dump(2) << "\n";
    if (!out) std::fprintf(stderr, "load: cannot write %s\n", json_path.c_str());
  }
  remove_temporary();
  return pass ? 0 : 1;
}

}  // namespace hashwatch::bench
