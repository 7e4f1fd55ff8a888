// Catalog::Refresh: catch up with what other processes committed to the
// file (enrolments, imports, withdrawals) since this object last looked.
#include <chrono>
#include <cmath>

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

absl::Status Refresh(Catalog::Impl& impl, int64_t not_before_ns) {
  std::lock_guard<std::mutex> lock(impl.write_mu);
  // Another matcher caught up while this one waited for the lock.
  if (not_before_ns > 0 && impl.fresh_as_of_ns.load(std::memory_order_acquire) >= not_before_ns) {
    return absl::OkStatus();
  }
  SqliteDb& db = impl.db;
  // Changes only when another connection committed: the common case costs
  // this one pragma.
  const int64_t checked = SteadyNowNs();
  absl::StatusOr<int64_t> version = db.QueryInt("PRAGMA data_version");
  if (!version.ok()) return version.status();
  if (*version == impl.data_version) {
    impl.fresh_as_of_ns.store(checked, std::memory_order_release);
    return absl::OkStatus();
  }

  if (absl::Status s = db.Exec("BEGIN"); !s.ok()) return s;  // one consistent snapshot
  struct EndRead {
    SqliteDb& db;
    ~EndRead() { db.Exec("COMMIT").IgnoreError(); }
  } end_read{db};

  // Cases: new ones, and open ones another process withdrew.
  std::vector<std::string> newly_withdrawn;
  {
    absl::StatusOr<SqliteStatement> q = db.Prepare("SELECT id, status FROM cases");
    if (!q.ok()) return q.status();
    absl::Status s = q->ForEachRow([&] {
      const std::string id = q->Text(0);
      const bool withdrawn = q->Text(1) == "withdrawn";
      const std::optional<bool> known = impl.directory.IsWithdrawn(id);
      if (!known.has_value()) {
        impl.directory.SetCase(id, withdrawn);
      } else if (withdrawn && !*known) {
        newly_withdrawn.push_back(id);
      }
      return absl::OkStatus();
    });
    if (!s.ok()) return s;
  }

  // Items added by others. Our own are in the directory already.
  absl::flat_hash_set<int64_t> fresh;
  int64_t max_item = impl.seen_max_item;
  {
    absl::StatusOr<SqliteStatement> q =
        db.Prepare("SELECT id, case_id FROM items WHERE id > ?1 ORDER BY id");
    if (!q.ok()) return q.status();
    q->Bind(1, impl.seen_max_item);
    absl::Status s = q->ForEachRow([&] {
      const int64_t item = q->Int(0);
      max_item = std::max(max_item, item);
      if (impl.directory.Lookup(item).has_value() && !impl.refresh_pending.contains(item)) {
        return absl::OkStatus();
      }
      const std::optional<uint32_t> number = impl.directory.FindCase(q->Text(1));
      if (!number.has_value()) {
        return absl::DataLossError(
            absl::StrCat(db.path(), ": item ", item, " has an unknown case"));
      }
      fresh.insert(item);
      return impl.directory.SetItem(item, *number);
    });
    // Until their hashes are indexed below, these count as pending, so a
    // failure from here on is retried by the next Refresh.
    impl.refresh_pending.insert(fresh.begin(), fresh.end());
    if (!s.ok()) return s;
  }

  // Their PDQ hashes, if trusted and their case is open.
  IndexBatch batch(impl.EmbeddingModelId());
  absl::StatusOr<int64_t> max_signal = db.QueryInt("SELECT coalesce(max(id), 0) FROM signals");
  if (!max_signal.ok()) return max_signal.status();
  if (!fresh.empty()) {
    absl::StatusOr<SqliteStatement> q =
        db.Prepare(absl::StrCat("SELECT ", catalog::kIndexedColumns,
                                " FROM signals "
                                "WHERE id > ?1 AND ",
                                catalog::kIndexedTypes, " AND (quality IS NULL OR quality >= ?2)"));
    if (!q.ok()) return q.status();
    q->Bind(1, impl.seen_max_signal).Bind(2, int64_t{impl.options.index_min_quality});
    absl::Status s = q->ForEachRow([&] {
      const int64_t item = q->Int(1);
      if (!fresh.contains(item) || !impl.directory.IsOpen(item)) return absl::OkStatus();
      return batch.AddRow(*q, db.path());
    });
    if (!s.ok()) return s;
  }
  // Withdrawals first (the directory flag stops matches at once), then
  // additions.
  for (const std::string& case_id : newly_withdrawn) {
    absl::StatusOr<std::vector<int64_t>> items = impl.store->ItemsOfCase(case_id);
    if (!items.ok()) return items.status();
    impl.directory.SetCase(case_id, /*withdrawn=*/true);
    if (absl::Status s = impl.RemoveItems(*items); !s.ok()) return s;
  }
  if (absl::Status s = batch.ApplyTo(&impl.indexes); !s.ok()) return s;
  impl.refresh_pending.clear();
  impl.seen_max_item = max_item;
  impl.seen_max_signal = *max_signal;
  impl.data_version = *version;
  impl.fresh_as_of_ns.store(checked, std::memory_order_release);
  return absl::OkStatus();
}

}  // namespace catalog
}  // namespace hashwatch
