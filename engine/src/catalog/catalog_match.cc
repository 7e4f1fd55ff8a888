// Catalog::Match*: a query's PDQ hash and its dihedral variants against the
// index, hits named by their case, withdrawn cases filtered out.
#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_impl.h"

namespace hashwatch {
namespace {

absl::Status ValidateOptions(const MatchOptions& options) {
  if (options.threshold < 0 || options.threshold > kPdqCodeBits) {
    return absl::InvalidArgumentError(
        absl::StrCat("match threshold ", options.threshold, " is outside 0..", kPdqCodeBits));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MatchResult> Catalog::MatchSignal(const Signal& pdq,
                                                 const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  if (pdq.type != "pdq" || pdq.hash.size() != kPdqCodeBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "MatchSignal needs a PDQ signal of 32 bytes, got '", pdq.type, "' of ", pdq.hash.size()));
  }
  MatchResult result;
  result.quality = pdq.quality;
  if (pdq.quality >= 0 && pdq.quality < options.min_quality) {
    result.low_quality = true;
    return result;
  }
  // Search every variant; keep each item's nearest, preferring the lower
  // variant (the original first) on ties.
  const bool variants = options.dihedral && pdq.variants.size() == kDihedralCount;
  const int count = variants ? kDihedralCount : 1;
  absl::flat_hash_map<int64_t, std::pair<int, int>> best;  // item -> (distance, variant)
  for (int v = 0; v < count; ++v) {
    const std::vector<uint8_t>& code = variants ? pdq.variants[v] : pdq.hash;
    if (code.size() != kPdqCodeBytes) continue;
    for (const IndexHit& hit : impl_->index.RangeSearch(code.data(), options.threshold)) {
      auto [it, inserted] = best.try_emplace(hit.id, hit.distance, v);
      if (!inserted && hit.distance < it->second.first) it->second = {hit.distance, v};
    }
  }
  for (const auto& [item, found] : best) {
    // Checked after the search: a withdrawal that completed while we
    // searched still removes the case's hits.
    std::optional<catalog::CaseDirectory::Owner> owner = impl_->directory.Lookup(item);
    if (!owner.has_value() || owner->withdrawn) continue;
    Match m;
    m.case_id = std::move(owner->case_id);
    m.item = item;
    m.distance = found.first;
    m.variant = static_cast<Dihedral>(found.second);
    result.matches.push_back(std::move(m));
  }
  std::sort(result.matches.begin(), result.matches.end(), [](const Match& a, const Match& b) {
    return std::tie(a.distance, a.item) < std::tie(b.distance, b.item);
  });
  return result;
}

absl::StatusOr<MatchResult> Catalog::MatchBytes(absl::Span<const uint8_t> bytes,
                                                const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<ImageSignals> signals = impl_->query_hasher.HashBytes(bytes);
  if (!signals.ok()) return signals.status();
  const Signal* pdq = signals->Find("pdq");
  if (pdq == nullptr) return absl::InternalError("query hasher returned no PDQ hash");
  return MatchSignal(*pdq, options);
}

absl::StatusOr<MatchResult> Catalog::MatchFile(const std::string& path,
                                               const MatchOptions& options) const {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  absl::StatusOr<ImageSignals> signals = impl_->query_hasher.HashFile(path);  // names the path
  if (!signals.ok()) return signals.status();
  const Signal* pdq = signals->Find("pdq");
  if (pdq == nullptr) return absl::InternalError("query hasher returned no PDQ hash");
  return MatchSignal(*pdq, options);
}

}  // namespace hashwatch
