// Catalog::Withdraw: a case stops matching at once; its rows and the audit
// trail stay.
#include "absl/strings/str_cat.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"

namespace hashwatch {

absl::StatusOr<WithdrawResult> Catalog::Withdraw(const CaseId& case_id,
                                                 const std::string& operator_name) {
  if (absl::Status s = ValidateCaseId(case_id); !s.ok()) return s;
  absl::StatusOr<std::string> who_or = catalog::OperatorOrDefault(operator_name);
  if (!who_or.ok()) return who_or.status();
  const std::string& who = *who_or;

  std::lock_guard<std::mutex> lock(impl_->write_mu);
  catalog::RowStore& store = *impl_->rows;
  absl::StatusOr<catalog::WriteTransaction> txn = catalog::WriteTransaction::Begin(&store);
  if (!txn.ok()) return txn.status();
  absl::StatusOr<std::optional<catalog::CaseRow>> found = store.FindCase(case_id);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return absl::NotFoundError(absl::StrCat("no case '", case_id, "' in ", store.name()));
  }
  absl::StatusOr<std::vector<int64_t>> items = store.ItemsOfCase(case_id);
  if (!items.ok()) return items.status();
  WithdrawResult result;
  result.items = static_cast<int64_t>(items->size());
  if ((*found)->withdrawn) {
    // Nothing to write (the transaction rolls back), but the withdrawal may
    // have been made by another process that this object has not caught up
    // with: stop matching here too before returning, as promised.
    result.already_withdrawn = true;
    impl_->directory.SetCase(case_id, /*withdrawn=*/true);
    if (absl::Status s = impl_->RemoveItems(*items); !s.ok()) return s;
    return result;
  }
  const std::string now = catalog::UtcTimestampNow();
  if (absl::Status s = store.MarkCaseWithdrawn(case_id, now); !s.ok()) return s;
  const std::string details =
      catalog::AuditDetails().Add("case", case_id).Add("items", result.items).json();
  if (absl::Status s = store.AppendAudit("withdraw", who, now, details); !s.ok()) return s;
  if (absl::Status s = txn->Commit(); !s.ok()) return s;

  // Committed. The directory flag stops matches at once (matchers check it
  // after searching); removing the codes then frees the index.
  impl_->directory.SetCase(case_id, /*withdrawn=*/true);
  if (absl::Status s = impl_->RemoveItems(*items); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("case '", case_id,
                                               "' is withdrawn and matches nothing, but its "
                                               "hashes stay in memory until reopened: ",
                                               s.message()));
  }
  return result;
}

}  // namespace hashwatch
