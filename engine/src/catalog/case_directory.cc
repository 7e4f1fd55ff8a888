#include "catalog/case_directory.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"

namespace hashwatch::catalog {

uint32_t CaseDirectory::SetCase(const std::string& case_id, bool withdrawn) {
  std::unique_lock lock(mu_);
  auto [it, inserted] = case_numbers_.try_emplace(case_id, static_cast<uint32_t>(case_ids_.size()));
  if (inserted) {
    case_ids_.push_back(case_id);
    withdrawn_.push_back(withdrawn);
  } else {
    withdrawn_[it->second] = withdrawn;
  }
  return it->second;
}

std::optional<uint32_t> CaseDirectory::FindCase(const std::string& case_id) const {
  std::shared_lock lock(mu_);
  auto it = case_numbers_.find(case_id);
  if (it == case_numbers_.end()) return std::nullopt;
  return it->second;
}

std::optional<bool> CaseDirectory::IsWithdrawn(const std::string& case_id) const {
  std::shared_lock lock(mu_);
  auto it = case_numbers_.find(case_id);
  if (it == case_numbers_.end()) return std::nullopt;
  return static_cast<bool>(withdrawn_[it->second]);
}

void CaseDirectory::ReplaceItems(std::vector<uint32_t> item_case) {
  std::unique_lock lock(mu_);
  item_case_ = std::move(item_case);
}

absl::Status CaseDirectory::SetItem(int64_t item, uint32_t case_number) {
  if (item < 1 || item > kMaxItemId) {
    return absl::InvalidArgumentError(
        absl::StrCat("item id ", item, " is outside 1..", kMaxItemId));
  }
  std::unique_lock lock(mu_);
  const size_t index = static_cast<size_t>(item);
  if (index >= item_case_.size()) {
    // Amortised growth; readers are excluded by the lock while it moves.
    item_case_.resize(std::max(index + 1, item_case_.size() * 3 / 2), kNoCase);
  }
  item_case_[index] = case_number;
  return absl::OkStatus();
}

std::optional<CaseDirectory::Owner> CaseDirectory::Lookup(int64_t item) const {
  std::shared_lock lock(mu_);
  if (item < 1 || static_cast<size_t>(item) >= item_case_.size()) return std::nullopt;
  const uint32_t c = item_case_[static_cast<size_t>(item)];
  if (c == kNoCase) return std::nullopt;
  return Owner{case_ids_[c], withdrawn_[c]};
}

bool CaseDirectory::IsOpen(int64_t item) const {
  std::shared_lock lock(mu_);
  if (item < 1 || static_cast<size_t>(item) >= item_case_.size()) return false;
  const uint32_t c = item_case_[static_cast<size_t>(item)];
  return c != kNoCase && !withdrawn_[c];
}

}  // namespace hashwatch::catalog
