// SignalType: the unit of extension (python-threatexchange's idea).
//
// Each signal type knows how it is computed, how two values compare, its
// default match threshold and how it is written as text. Adding a type means
// one implementation file under src/signals/ and one line in
// src/signals/builtin_signal_types.h; nothing else changes.
//
// Thread safety: SignalType objects are immutable singletons; every method is
// safe to call from many threads at once.
#ifndef HASHWATCH_SIGNAL_TYPE_H_
#define HASHWATCH_SIGNAL_TYPE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/signal.h"

namespace hashwatch {

struct DecodedImage;  // engine-internal decoded pixels (see src/media/).

// What a signal type is computed from.
struct SignalInput {
  absl::Span<const uint8_t> bytes;      // the file's bytes, always present
  const DecodedImage* image = nullptr;  // decoded pixels, when needs_pixels()
  bool variants = false;                // also compute Signal::variants
};

class SignalType {
 public:
  virtual ~SignalType() = default;

  // Short lowercase name used in the CLI, the catalog and exports ("pdq").
  virtual std::string_view name() const = 0;
  // Size of one hash in bytes.
  virtual size_t hash_size() const = 0;
  // True when Compute needs decoded pixels, false when the bytes suffice.
  virtual bool needs_pixels() const = 0;
  // True when Compute sets Signal::quality (0..100).
  virtual bool has_quality() const { return false; }
  // Smallest side, in pixels, the decoded image may be reduced to before
  // Compute without changing the result materially; 0 when pixels are unused.
  virtual int working_side() const { return 0; }
  // Two values match when Distance(a, b) <= default_threshold().
  virtual int default_threshold() const = 0;

  // Distance between two hashes of this type (Hamming distance by default).
  // Both spans must hold hash_size() bytes.
  virtual int Distance(absl::Span<const uint8_t> a, absl::Span<const uint8_t> b) const;
  // Canonical text form (lowercase hex by default).
  virtual std::string Format(absl::Span<const uint8_t> hash) const;
  // Inverse of Format; an error names what is wrong with the text.
  virtual absl::StatusOr<std::vector<uint8_t>> Parse(std::string_view text) const;

  // Computes the signal. Errors are per-input (e.g. "image too small").
  virtual absl::StatusOr<Signal> Compute(const SignalInput& input) const = 0;
};

// The registered type with this name, or nullptr.
const SignalType* FindSignalType(std::string_view name);
// All registered types, sorted by name.
std::vector<const SignalType*> AllSignalTypes();

}  // namespace hashwatch

#endif  // HASHWATCH_SIGNAL_TYPE_H_
