#include "catalog/catalog_loader.h"

#include <chrono>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "catalog/catalog_store.h"
#include "index/index_hit.h"

namespace hashwatch::catalog {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

absl::StatusOr<int64_t> CheckedMaxItemId(SqliteDb* db) {
  absl::StatusOr<SqliteStatement> q =
      db->Prepare("SELECT coalesce(min(id), 1), coalesce(max(id), 0), count(*) FROM items");
  if (!q.ok()) return q.status();
  absl::StatusOr<bool> row = q->Step();
  if (!row.ok()) return row.status();
  const int64_t min_id = q->Int(0), max_id = q->Int(1), count = q->Int(2);
  auto damaged = [&](const std::string& what) {
    return absl::DataLossError(absl::StrCat(
        db->path(), ": ", what,
        ": the catalog was damaged or edited (restore it from a backup; 'hashwatch verify --db ",
        db->path(), "' says more)"));
  };
  if (min_id < 1) return damaged(absl::StrCat("an item has id ", min_id, ", below 1"));
  if (max_id > CaseDirectory::kMaxItemId) {
    return damaged(absl::StrCat("item id ", max_id, " is beyond what the index can hold"));
  }
  // Rowids are dense; allow generous slack (a million ids, or twice the
  // items) before calling a gap damage.
  if (max_id > 2 * count + 1'000'000) {
    return damaged(
        absl::StrCat("item ids reach ", max_id, " but there are only ", count, " items"));
  }
  return max_id;
}

absl::Status LoadCatalog(RowStore* rows, int index_min_quality, uint32_t embedding_model,
                         CaseDirectory* directory, CatalogIndexes* indexes, LoadResult* result) {
  const Clock::time_point start = Clock::now();
  // Cases are few; the directory numbers them. Items map to case numbers
  // in one table indexed by item id.
  absl::flat_hash_map<std::string, uint32_t> case_numbers;
  std::vector<bool> case_open;
  std::vector<uint32_t> item_case;
  std::string last_case;
  uint32_t last_number = CaseDirectory::kNoCase;
  // Hashes worth indexing: open cases, trusted quality.
  IndexBatch batch(embedding_model);
  RowStore::LoadCallbacks load;
  load.on_case = [&](const std::string& id, bool withdrawn) {
    const uint32_t n = directory->SetCase(id, withdrawn);
    case_numbers[id] = n;
    if (case_open.size() <= n) case_open.resize(n + 1);
    case_open[n] = !withdrawn;
    return absl::OkStatus();
  };
  load.max_item = [&](int64_t max_item) {
    item_case.assign(static_cast<size_t>(max_item) + 1, CaseDirectory::kNoCase);
    return absl::OkStatus();
  };
  load.on_item = [&](int64_t item, std::string_view case_id) {
    if (last_number == CaseDirectory::kNoCase || case_id != last_case) {
      auto it = case_numbers.find(absl::string_view(case_id.data(), case_id.size()));
      if (it == case_numbers.end()) {
        return absl::DataLossError(
            absl::StrCat(rows->name(), ": item ", item, " belongs to unknown case '",
                         absl::string_view(case_id.data(), case_id.size()), "'"));
      }
      last_case.assign(case_id.data(), case_id.size());
      last_number = it->second;
    }
    if (item >= 1 && static_cast<size_t>(item) < item_case.size()) {
      item_case[static_cast<size_t>(item)] = last_number;
    }
    return absl::OkStatus();
  };
  load.on_signal = [&](const IndexedRowView& row) {
    const int64_t item = row.item;
    if (item < 1 || static_cast<size_t>(item) >= item_case.size() ||
        item_case[static_cast<size_t>(item)] == CaseDirectory::kNoCase) {
      return absl::DataLossError(
          absl::StrCat(rows->name(), ": a PDQ hash belongs to unknown item ", item));
    }
    if (!case_open[item_case[static_cast<size_t>(item)]]) return absl::OkStatus();
    return batch.AddRow(row, rows->name());
  };
  absl::StatusOr<ChangeCursor> cursor = rows->LoadAll(index_min_quality, load);
  if (!cursor.ok()) return cursor.status();
  result->cursor = *cursor;
  directory->ReplaceItems(std::move(item_case));
  const Clock::time_point read_done = Clock::now();

  absl::Status added = batch.ApplyTo(indexes);
  result->foreign_embeddings = static_cast<int64_t>(batch.foreign_embeddings());
  result->read_seconds = Seconds(start, read_done);
  result->index_seconds = Seconds(read_done, Clock::now());
  return added;
}

}  // namespace hashwatch::catalog
