// Catalog::EnrollFile / EnrollBytes: hash a submitted image and store its
// hashes (never its pixels) under a case, in one transaction.
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catalog/audit_details.h"
#include "catalog/catalog_impl.h"
#include "hashwatch/signal_type.h"
#include "media/file_reader.h"

namespace hashwatch {
namespace {

std::string Hex(absl::Span<const uint8_t> bytes) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

absl::Status ValidateRequest(const EnrollRequest& request) {
  if (absl::Status s = ValidateCaseId(request.case_id); !s.ok()) return s;
  if (absl::Status s = catalog::ValidateText("label", request.label); !s.ok()) return s;
  return catalog::ValidateText("source note", request.source_note);
}

// Stores hashed signals of a validated request.
absl::StatusOr<EnrollResult> StoreEnrolment(Catalog::Impl& impl, const EnrollRequest& request,
                                            const ImageSignals& signals, size_t size) {
  const std::string operator_name = catalog::OperatorOrDefault(request.operator_name);
  const Signal* pdq = signals.Find("pdq");
  const Signal* sha256 = signals.Find("sha256");
  if (pdq == nullptr || sha256 == nullptr || pdq->hash.size() != kPdqCodeBytes) {
    return absl::InternalError("enrolment hasher returned no PDQ or SHA-256");
  }
  EnrollResult result;
  result.pdq_hex = FindSignalType("pdq")->Format(pdq->hash);
  result.quality = pdq->quality;
  result.indexed = impl.Indexable(pdq->quality);

  std::lock_guard<std::mutex> lock(impl.write_mu);
  catalog::CatalogStore& store = *impl.store;
  absl::StatusOr<catalog::SqliteTransaction> txn = catalog::SqliteTransaction::Begin(&impl.db);
  if (!txn.ok()) return txn.status();
  const std::string now = catalog::UtcTimestampNow();

  absl::StatusOr<std::optional<catalog::CaseRow>> existing = store.FindCase(request.case_id);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) {
    if (absl::Status s = store.CreateCase(request.case_id, request.label, now); !s.ok()) return s;
  } else if ((*existing)->withdrawn) {
    return absl::FailedPreconditionError(
        absl::StrCat("case '", request.case_id, "' was withdrawn on ", (*existing)->withdrawn_at,
                     "; nothing can be enrolled into it (use a new case id)"));
  } else if (!request.label.empty() && request.label != (*existing)->label) {
    if (absl::Status s = store.SetCaseLabel(request.case_id, request.label); !s.ok()) return s;
  }

  absl::StatusOr<std::optional<int64_t>> same =
      store.FindItemBySha256(request.case_id, sha256->hash);
  if (!same.ok()) return same.status();
  if (same->has_value()) {
    if (absl::Status s = txn->Commit(); !s.ok()) return s;  // a label change, if any
    result.item = **same;
    result.already_enrolled = true;
    return result;
  }

  absl::StatusOr<int64_t> item = store.InsertItem({.case_id = request.case_id,
                                                   .media_kind = "image",
                                                   .sha256 = sha256->hash,
                                                   .size = static_cast<int64_t>(size),
                                                   .enrolled_at = now,
                                                   .source_note = request.source_note});
  if (!item.ok()) return item.status();
  if (absl::Status s = store.InsertSignal({.item = *item,
                                           .type = "pdq",
                                           .frame_time = std::nullopt,
                                           .hash = pdq->hash,
                                           .quality = pdq->quality});
      !s.ok()) {
    return s;
  }
  const std::string details = catalog::AuditDetails()
                                  .Add("case", request.case_id)
                                  .Add("item", *item)
                                  .Add("sha256", Hex(sha256->hash))
                                  .Add("size", static_cast<int64_t>(size))
                                  .Add("source", request.source_note)
                                  .Add("pdq_quality", int64_t{pdq->quality})
                                  .Add("indexed", result.indexed)
                                  .json();
  if (absl::Status s = store.AppendAudit("enroll", operator_name, now, details); !s.ok()) return s;
  if (absl::Status s = txn->Commit(); !s.ok()) return s;

  // Committed: now make it matchable. The directory first, so a matcher that
  // finds the item in the index can always name its case.
  const uint32_t case_number = impl.directory.SetCase(request.case_id, /*withdrawn=*/false);
  if (absl::Status s = impl.directory.SetItem(*item, case_number); !s.ok()) return s;
  if (result.indexed) {
    const int64_t id = *item;
    if (absl::Status s = impl.index.Add({&id, 1}, pdq->hash); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("item ", *item,
                                                 " was enrolled but is not searchable until the "
                                                 "catalog is opened again: ",
                                                 s.message()));
    }
  }
  result.item = *item;
  return result;
}

}  // namespace

absl::StatusOr<EnrollResult> Catalog::EnrollFile(const EnrollRequest& request,
                                                 const std::string& path) {
  EnrollRequest named = request;
  if (named.source_note.empty()) named.source_note = std::filesystem::path(path).filename();
  if (absl::Status s = ValidateRequest(named); !s.ok()) return s;
  absl::StatusOr<std::vector<uint8_t>> bytes =
      media::ReadFile(path, impl_->options.limits.max_bytes);
  if (!bytes.ok()) {
    return absl::Status(bytes.status().code(), absl::StrCat(path, ": ", bytes.status().message()));
  }
  absl::StatusOr<ImageSignals> signals = impl_->enrol_hasher.HashBytes(*bytes);
  if (!signals.ok()) {
    return absl::Status(signals.status().code(),
                        absl::StrCat(path, ": ", signals.status().message()));
  }
  return StoreEnrolment(*impl_, named, *signals, bytes->size());
}

absl::StatusOr<EnrollResult> Catalog::EnrollBytes(const EnrollRequest& request,
                                                  absl::Span<const uint8_t> bytes) {
  if (absl::Status s = ValidateRequest(request); !s.ok()) return s;
  absl::StatusOr<ImageSignals> signals = impl_->enrol_hasher.HashBytes(bytes);
  if (!signals.ok()) return signals.status();
  return StoreEnrolment(*impl_, request, *signals, bytes.size());
}

}  // namespace hashwatch
