// Catalog::ImportHashes: a hash list from another centre or platform, all of
// it in one transaction, or nothing.
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"
#include "catalog/hash_list_parser.h"

namespace hashwatch {
namespace {

using catalog::HashList;
using catalog::HashListEntry;
using catalog::HashListFormat;

// Whether `entry`'s exact hash is already indexed under its case: the index
// finds identical codes (radius 0) without a hash column index in SQLite.
bool AlreadyIndexed(const Catalog::Impl& impl, const HashListEntry& entry,
                    const std::string& case_id) {
  for (const IndexHit& hit : impl.indexes.images.RangeSearch(entry.pdq.data(), 0)) {
    std::optional<catalog::CaseDirectory::Owner> owner = impl.directory.Lookup(hit.id);
    if (owner.has_value() && owner->case_id == case_id) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<ImportResult> Catalog::ImportHashes(const ImportRequest& request, std::istream& in) {
  if (!request.case_id.empty()) {
    if (absl::Status s = ValidateCaseId(request.case_id); !s.ok()) return s;
  }
  if (absl::Status s = catalog::ValidateText("label", request.label); !s.ok()) return s;
  if (absl::Status s = catalog::ValidateText("source name", request.source_name); !s.ok()) {
    return s;
  }
  absl::StatusOr<std::string> who_or = catalog::OperatorOrDefault(request.operator_name);
  if (!who_or.ok()) return who_or.status();
  const std::string& who = *who_or;
  const std::string source = request.source_name.empty() ? "import" : request.source_name;
  absl::StatusOr<HashList> list = catalog::ParseHashList(in, {.case_id = request.case_id,
                                                              .label = request.label,
                                                              .max_reported_errors = 20,
                                                              .max_entries = request.max_hashes,
                                                              .max_line_bytes = 64 * 1024});
  if (!list.ok()) {
    return absl::Status(list.status().code(), absl::StrCat(source, ": ", list.status().message()));
  }
  for (const catalog::HashListCase& c : list->cases) {
    if (absl::Status s = ValidateCaseId(c.case_id); !s.ok()) return s;
    if (absl::Status s = catalog::ValidateText("label", c.label); !s.ok()) return s;
  }

  ImportResult result;
  result.format = std::string(catalog::HashListFormatName(list->format));
  std::lock_guard<std::mutex> lock(impl_->write_mu);
  catalog::RowStore& store = *impl_->rows;
  absl::StatusOr<catalog::WriteTransaction> txn = catalog::WriteTransaction::Begin(&store);
  if (!txn.ok()) return txn.status();
  const std::string now = catalog::UtcTimestampNow();

  for (const catalog::HashListCase& c : list->cases) {
    absl::StatusOr<std::optional<catalog::CaseRow>> found = store.FindCase(c.case_id);
    if (!found.ok()) return found.status();
    if (!found->has_value()) {
      if (absl::Status s = store.CreateCase(c.case_id, c.label, now); !s.ok()) return s;
      ++result.cases_created;
    } else if ((*found)->withdrawn) {
      return absl::FailedPreconditionError(
          absl::StrCat(source, ": case '", c.case_id, "' was withdrawn on ", (*found)->withdrawn_at,
                       "; nothing was imported (use a new case id)"));
    }
  }

  // Rows first; the directory and index change only after the commit.
  catalog::IndexBatch batch;
  std::vector<std::pair<int64_t, uint32_t>> new_items;  // item, case index
  auto add_signal = [&](int64_t item, const HashListEntry& e) -> absl::Status {
    const std::optional<int64_t> quality =
        e.quality < 0 ? std::nullopt : std::optional<int64_t>(e.quality);
    const std::optional<double> frame_time =
        e.frame_time < 0 ? std::nullopt : std::optional<double>(e.frame_time);
    absl::StatusOr<int64_t> signal = store.InsertSignal(
        {.item = item,
         .type = "pdq",
         .frame_time = frame_time,
         .hash = e.pdq,
         .quality = quality,
         .frame_end = frame_time,
         .frame_samples = frame_time.has_value() ? std::optional<int64_t>(1) : std::nullopt,
         .frame_number = e.frame_number});
    if (!signal.ok()) return signal.status();
    ++result.signals;
    if (impl_->Indexable(quality)) {
      batch.Add(*signal, item, e.pdq, frame_time, frame_time, std::nullopt);
      ++result.indexed;
    }
    return absl::OkStatus();
  };

  if (list->format == HashListFormat::kVpdq) {
    // One video: one item, a signal per frame.
    absl::StatusOr<int64_t> item = store.InsertItem({.case_id = list->cases[0].case_id,
                                                     .media_kind = "video",
                                                     .sha256 = {},
                                                     .size = std::nullopt,
                                                     .enrolled_at = now,
                                                     .source_note = source,
                                                     .duration = std::nullopt,
                                                     .sample_interval = std::nullopt});
    if (!item.ok()) return item.status();
    new_items.emplace_back(*item, 0);
    for (const HashListEntry& e : list->entries) {
      if (absl::Status s = add_signal(*item, e); !s.ok()) return s;
    }
  } else {
    absl::flat_hash_set<std::pair<uint32_t, std::array<uint8_t, 32>>> seen;
    for (const HashListEntry& e : list->entries) {
      const std::string& case_id = list->cases[e.case_index].case_id;
      if (!seen.insert({e.case_index, e.pdq}).second || AlreadyIndexed(*impl_, e, case_id)) {
        ++result.duplicates;
        continue;
      }
      absl::StatusOr<int64_t> item =
          store.InsertItem({.case_id = case_id,
                            .media_kind = "hash",
                            .sha256 = {},
                            .size = std::nullopt,
                            .enrolled_at = now,
                            .source_note = absl::StrCat(source, ":", e.line),
                            .duration = std::nullopt,
                            .sample_interval = std::nullopt});
      if (!item.ok()) return item.status();
      new_items.emplace_back(*item, e.case_index);
      if (absl::Status s = add_signal(*item, e); !s.ok()) return s;
    }
  }
  result.items = static_cast<int64_t>(new_items.size());

  std::vector<std::string> case_ids;
  for (const catalog::HashListCase& c : list->cases) case_ids.push_back(c.case_id);
  const std::string details = catalog::AuditDetails()
                                  .Add("source", source)
                                  .Add("format", result.format)
                                  .Add("cases", absl::StrJoin(case_ids, ","))
                                  .Add("items", result.items)
                                  .Add("signals", result.signals)
                                  .Add("indexed", result.indexed)
                                  .Add("duplicates", result.duplicates)
                                  .json();
  if (absl::Status s = store.AppendAudit("import", who, now, details); !s.ok()) return s;
  if (absl::Status s = txn->Commit(); !s.ok()) return s;

  std::vector<uint32_t> case_numbers;
  for (const catalog::HashListCase& c : list->cases) {
    case_numbers.push_back(impl_->directory.SetCase(c.case_id, /*withdrawn=*/false));
  }
  result.item_ids.reserve(new_items.size());
  for (const auto& [item, case_index] : new_items) {
    if (absl::Status s = impl_->directory.SetItem(item, case_numbers[case_index]); !s.ok()) {
      return s;
    }
    result.item_ids.push_back(item);
  }
  if (absl::Status s = batch.ApplyTo(&impl_->indexes); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat(source,
                                               ": imported, but not searchable until the "
                                               "catalog is opened again: ",
                                               s.message()));
  }
  return result;
}

absl::StatusOr<ImportResult> Catalog::ImportHashesFromFile(const ImportRequest& request,
                                                           const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the hash list"));
  ImportRequest named = request;
  if (named.source_name.empty()) named.source_name = path;
  return ImportHashes(named, in);
}

}  // namespace hashwatch
