// The signal-type registry and the defaults every type inherits.
#include "hashwatch/signal_type.h"

#include <algorithm>
#include <bit>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "signals/builtin_signal_types.h"

namespace hashwatch {
namespace {

const std::vector<const SignalType*>& Registry() {
  static const auto* types = new std::vector<const SignalType*>(signals::BuiltinSignalTypes());
  return *types;
}

}  // namespace

std::string_view DihedralName(Dihedral d) {
  static constexpr std::string_view kNames[kDihedralCount] = {
      "original", "rotate90", "rotate180",  "rotate270",
      "flip_x",   "flip_y",   "flip_plus1", "flip_minus1"};
  const int i = static_cast<int>(d);
  return i >= 0 && i < kDihedralCount ? kNames[i] : "unknown";
}

const Signal* ImageSignals::Find(std::string_view type) const {
  for (const Signal& s : signals) {
    if (s.type == type) return &s;
  }
  return nullptr;
}

int SignalType::Distance(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) const {
  int d = 0;
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) d += std::popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return d + 8 * static_cast<int>(std::max(a.size(), b.size()) - n);
}

std::string SignalType::Format(absl::Span<const uint8_t> hash) const {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

absl::StatusOr<std::vector<uint8_t>> SignalType::Parse(std::string_view text) const {
  const size_t want = hash_size() * 2;
  if (text.size() != want) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(name()), " hash must be ", want,
                                                   " hex digits, got ", text.size()));
  }
  for (char c : text) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(name()), " hash has a non-hex character '", std::string(1, c), "'"));
    }
  }
  const std::string bytes = absl::HexStringToBytes(absl::string_view(text.data(), text.size()));
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

const SignalType* FindSignalType(std::string_view name) {
  for (const SignalType* t : Registry()) {
    if (t->name() == name) return t;
  }
  return nullptr;
}

std::vector<const SignalType*> AllSignalTypes() {
  std::vector<const SignalType*> all = Registry();
  std::sort(all.begin(), all.end(),
            [](const SignalType* a, const SignalType* b) { return a->name() < b->name(); });
  return all;
}

}  // namespace hashwatch
