// Catalog::Refresh: catch up with what other processes committed to the
// file (enrolments, imports, withdrawals) since this object last looked.
#include <chrono>
#include <cmath>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_impl.h"

namespace hashwatch {

absl::Status Catalog::Refresh() {
  return catalog::Refresh(*impl_);
}

namespace catalog {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

absl::Status EnsureFresh(Catalog::Impl& impl) {
  const double bound = impl.options.max_staleness_seconds;
  if (std::isinf(bound)) return absl::OkStatus();
  const int64_t now = SteadyNowNs();
  if (static_cast<double>(now - impl.fresh_as_of_ns.load(std::memory_order_acquire)) <=
      bound * 1e9) {
    return absl::OkStatus();
  }
  if (absl::Status s = Refresh(impl, /*not_before_ns=*/now); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot catch up with changes to the catalog, so no match is made (they "
                     "must be at most ",
                     bound, " s old): ", s.message()));
  }
  return absl::OkStatus();
}

void FollowChanges(Catalog::Impl& impl) {
  while (!impl.stopping.load()) {
    absl::StatusOr<bool> announced = impl.rows->WaitForChanges(0.25);
    if (impl.stopping.load()) return;
    if (!announced.ok()) {
      // The server is away: matches catch up (or refuse) by themselves;
      // try again in a moment.
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      continue;
    }
    if (*announced) Refresh(impl).IgnoreError();
  }
}

absl::Status Refresh(Catalog::Impl& impl, int64_t not_before_ns) {
  std::lock_guard<std::mutex> lock(impl.write_mu);
  // Another matcher caught up while this one waited for the lock.
  if (not_before_ns > 0 && impl.fresh_as_of_ns.load(std::memory_order_acquire) >= not_before_ns) {
    return absl::OkStatus();
  }
  RowStore& rows = *impl.rows;
  // Changes only when another connection committed: the common case costs
  // this one query.
  const int64_t checked = SteadyNowNs();
  absl::StatusOr<bool> changed = rows.Changed(impl.cursor);
  if (!changed.ok()) return changed.status();
  if (!*changed) {
    impl.fresh_as_of_ns.store(checked, std::memory_order_release);
    return absl::OkStatus();
  }

  std::vector<std::string> newly_withdrawn;
  absl::flat_hash_set<int64_t> fresh;
  IndexBatch batch(impl.EmbeddingModelId());
  absl::StatusOr<ChangeCursor> next = rows.ReadChanges(
      impl.cursor, impl.options.index_min_quality,
      [&](const RowChanges& changes) -> absl::Status {
        // Cases: new ones, and open ones another process withdrew.
        for (const auto& [id, withdrawn] : changes.cases) {
          const std::optional<bool> known = impl.directory.IsWithdrawn(id);
          if (!known.has_value()) {
            impl.directory.SetCase(id, withdrawn);
          } else if (withdrawn && !*known) {
            newly_withdrawn.push_back(id);
          }
        }
        // Items added by others. Our own are in the directory already.
        absl::Status s = absl::OkStatus();
        for (const auto& [item, case_id] : changes.items) {
          if (impl.directory.Lookup(item).has_value() && !impl.refresh_pending.contains(item)) {
            continue;
          }
          const std::optional<uint32_t> number = impl.directory.FindCase(case_id);
          if (!number.has_value()) {
            s = absl::DataLossError(
                absl::StrCat(rows.name(), ": item ", item, " has an unknown case"));
            break;
          }
          fresh.insert(item);
          s = impl.directory.SetItem(item, *number);
          if (!s.ok()) break;
        }
        // Until their hashes are indexed below, these count as pending, so
        // a failure from here on is retried by the next Refresh.
        impl.refresh_pending.insert(fresh.begin(), fresh.end());
        return s;
      },
      [&](const IndexedRowView& row) -> absl::Status {
        // Their hashes, if trusted and their case is open.
        if (!fresh.contains(row.item) || !impl.directory.IsOpen(row.item)) {
          return absl::OkStatus();
        }
        return batch.AddRow(row, rows.name());
      });
  if (!next.ok()) return next.status();
  // Withdrawals first (the directory flag stops matches at once), then
  // additions.
  for (const std::string& case_id : newly_withdrawn) {
    absl::StatusOr<std::vector<int64_t>> items = rows.ItemsOfCase(case_id);
    if (!items.ok()) return items.status();
    impl.directory.SetCase(case_id, /*withdrawn=*/true);
    if (absl::Status s = impl.RemoveItems(*items); !s.ok()) return s;
  }
  if (absl::Status s = batch.ApplyTo(&impl.indexes); !s.ok()) return s;
  impl.refresh_pending.clear();
  impl.cursor = *next;
  impl.fresh_as_of_ns.store(checked, std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace catalog
}  // namespace hashwatch
