#include "index/pdq_index.h"

#include <algorithm>
#include <new>
#include <string>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "index/pdq_delta.h"
#include "index/pdq_segment.h"

namespace hashwatch {

// Main and delta never change identity while a search holds them; only their
// tombstones and the delta's published prefix grow.
struct PdqIndex::State {
  std::shared_ptr<PdqSegment> main;
  std::shared_ptr<PdqDelta> delta;
};

namespace {

// A merge also drops removed codes; trigger one when tombstones exceed this
// fraction of the main segment (they still cost memory and candidates).
constexpr size_t kMaxRemovedFraction = 4;  // 1/4

// Default delta capacity: main rows / 1024, within [4096, 65536]. Every
// search scans the delta (~1.3 ns per code with POPCNT, measured: 16384
// codes took 21 us), so it is kept to a few percent of a multi-index query
// (77 us mean at 1M codes, 250 us at 10M); a merge costs ~0.5 us per code, so
// this amortises to ~0.5 ms of merging per added code at any size.
constexpr size_t kDeltaFraction = 1024;
constexpr size_t kMinDelta = 4096;
constexpr size_t kMaxDelta = 65536;

}  // namespace

PdqIndex::PdqIndex(PdqIndexOptions options) : options_(options) {
  auto state = std::make_shared<State>();
  state->main = PdqSegment::Build(nullptr, {}, {}, options_);
  state->delta = std::make_shared<PdqDelta>(DeltaCapacity(0));
  state_ = std::move(state);
}

PdqIndex::~PdqIndex() = default;

size_t PdqIndex::DeltaCapacity(size_t main_rows) const {
  if (options_.delta_capacity != 0) return options_.delta_capacity;
  return std::clamp<size_t>(main_rows / kDeltaFraction, kMinDelta, kMaxDelta);
}

std::shared_ptr<const PdqIndex::State> PdqIndex::Snapshot() const {
  std::lock_guard<std::mutex> lock(snapshot_mu_);
  return state_;
}

absl::Status PdqIndex::Add(absl::Span<const int64_t> ids, absl::Span<const uint8_t> codes) {
  if (codes.size() != kPdqCodeBytes * ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat("PdqIndex::Add: ", ids.size(), " ids need ",
                                                   kPdqCodeBytes * ids.size(),
                                                   " bytes of PDQ codes, got ", codes.size()));
  }
  if (ids.empty()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(writer_mu_);
  std::shared_ptr<const State> state = Snapshot();
  if (state->main->rows() + state->delta->size() + ids.size() > PdqSegment::kMaxRows) {
    return absl::InvalidArgumentError(absl::StrCat("PdqIndex::Add: adding ", ids.size(),
                                                   " codes would exceed the ", PdqSegment::kMaxRows,
                                                   "-code limit of one index"));
  }
  if (state->delta->size() + ids.size() <= state->delta->capacity()) {
    state->delta->Append(ids, codes);
    live_.fetch_add(ids.size(), std::memory_order_acq_rel);
    return absl::OkStatus();
  }
  return MergeLocked(ids, codes);
}

size_t PdqIndex::Remove(absl::Span<const int64_t> ids) {
  std::vector<int64_t> sorted(ids.begin(), ids.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::lock_guard<std::mutex> lock(writer_mu_);
  std::shared_ptr<const State> state = Snapshot();
  const size_t removed = state->main->Remove(sorted) + state->delta->Remove(sorted);
  live_.fetch_sub(removed, std::memory_order_acq_rel);
  if (state->main->removed_rows() * kMaxRemovedFraction > state->main->rows()) {
    // Best effort: if memory is short the tombstones simply stay.
    MergeLocked({}, {}).IgnoreError();
  }
  return removed;
}

absl::Status PdqIndex::Compact() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  std::shared_ptr<const State> state = Snapshot();
  if (state->delta->size() == 0 && state->main->removed_rows() == 0) {
    return absl::OkStatus();  // already compact
  }
  return MergeLocked({}, {});
}

absl::Status PdqIndex::MergeLocked(absl::Span<const int64_t> ids, absl::Span<const uint8_t> codes) {
  std::shared_ptr<const State> state = Snapshot();
  try {
    // Bulk loads arrive with an empty delta: pass their spans straight
    // through instead of copying hundreds of MB.
    std::vector<int64_t> merged_ids;
    std::vector<uint8_t> merged_codes;
    if (state->delta->live_size() > 0) {
      merged_ids.reserve(state->delta->live_size() + ids.size());
      merged_codes.reserve(kPdqCodeBytes * merged_ids.capacity());
      state->delta->AppendLiveTo(&merged_ids, &merged_codes);
      merged_ids.insert(merged_ids.end(), ids.begin(), ids.end());
      merged_codes.insert(merged_codes.end(), codes.begin(), codes.end());
      ids = merged_ids;
      codes = merged_codes;
    }
    auto next = std::make_shared<State>();
    next->main = PdqSegment::Build(state->main.get(), ids, codes, options_);
    next->delta = std::make_shared<PdqDelta>(DeltaCapacity(next->main->rows()));
    const size_t live = next->main->live_rows();
    {
      std::lock_guard<std::mutex> lock(snapshot_mu_);
      state_ = std::move(next);
    }
    live_.store(live, std::memory_order_release);
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("PdqIndex: out of memory merging ", ids.size(),
                                                     " new codes into ", state->main->live_rows(),
                                                     " indexed codes"));
  } catch (const std::system_error& e) {  // std::thread could not start
    return absl::ResourceExhaustedError(
        absl::StrCat("PdqIndex: merge could not start a thread: ", e.what()));
  }
  return absl::OkStatus();
}

std::vector<IndexHit> PdqIndex::RangeSearch(const uint8_t* query32, int max_distance) const {
  std::vector<IndexHit> hits;
  if (max_distance < 0) return hits;
  std::shared_ptr<const State> state = Snapshot();
  state->main->Search(query32, max_distance, &hits);
  state->delta->Search(query32, max_distance, &hits);
  CanonicalizeHits(&hits);
  return hits;
}

bool PdqIndex::FindCode(int64_t id, uint8_t* out32) const {
  std::shared_ptr<const State> state = Snapshot();
  return state->main->FindCode(id, out32) || state->delta->FindCode(id, out32);
}

size_t PdqIndex::MemoryBytes() const {
  std::shared_ptr<const State> state = Snapshot();
  return sizeof(*this) + state->main->MemoryBytes() + state->delta->MemoryBytes();
}

int PdqIndex::multi_index_substrings() const {
  std::shared_ptr<const State> state = Snapshot();
  const MultiIndexTable* mih = state->main->multi_index();
  return mih ? mih->plan().substrings() : 0;
}

}  // namespace hashwatch
