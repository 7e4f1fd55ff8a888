// CaseDirectory: which case each item belongs to and whether that case is
// withdrawn, in memory, so a match can name its case without touching SQLite.
//
// Items are SQLite rowids, dense from 1 (items are never deleted), so the map
// is a vector of 4-byte case numbers indexed by item: 40 MB at 10M items.
//
// Thread safety: every method may be called from many threads at once;
// lookups take a shared lock, changes an exclusive one.
#ifndef HASHWATCH_CATALOG_CASE_DIRECTORY_H_
#define HASHWATCH_CATALOG_CASE_DIRECTORY_H_

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace hashwatch::catalog {

class CaseDirectory {
 public:
  // Largest item id the directory accepts (the index holds < 2^31 codes).
  static constexpr int64_t kMaxItemId = (int64_t{1} << 31) - 1;
  // The case number of an item the directory does not know.
  static constexpr uint32_t kNoCase = UINT32_MAX;

  // Adds a case or updates its status; returns its number.
  uint32_t SetCase(const std::string& case_id, bool withdrawn);
  // The number of a known case.
  std::optional<uint32_t> FindCase(const std::string& case_id) const;
  // Whether a known case is withdrawn; nullopt for an unknown case.
  std::optional<bool> IsWithdrawn(const std::string& case_id) const;
  // Records that `item` belongs to case number `case_number`.
  // InvalidArgument for an item id outside 1..kMaxItemId.
  absl::Status SetItem(int64_t item, uint32_t case_number);
  // Replaces the whole item table (case number by item id, kNoCase for
  // none): the bulk load when the catalog opens.
  void ReplaceItems(std::vector<uint32_t> item_case);

  struct Owner {
    std::string case_id;
    bool withdrawn = false;
  };
  // The case of an item, or nullopt for an unknown item.
  std::optional<Owner> Lookup(int64_t item) const;
  // Whether the item's case is open (false for unknown items).
  bool IsOpen(int64_t item) const;

 private:
  mutable std::shared_mutex mu_;
  std::vector<std::string> case_ids_;
  std::vector<bool> withdrawn_;
  absl::flat_hash_map<std::string, uint32_t> case_numbers_;
  std::vector<uint32_t> item_case_;  // by item id; kNoCase when unknown
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CASE_DIRECTORY_H_
