// "pdq": Meta's PDQ photo hash (256 bits + quality + dihedral variants).
#include "absl/status/status.h"
#include "hashwatch/signal_type.h"
#include "media/decoded_image.h"
#include "signals/builtin_signal_types.h"
#include "signals/pdq_hash.h"

namespace hashwatch::signals {
namespace {

class PdqSignalType final : public SignalType {
 public:
  std::string_view name() const override { return "pdq"; }
  size_t hash_size() const override { return 32; }
  bool needs_pixels() const override { return true; }
  bool has_quality() const override { return true; }
  // PDQ samples a 64x64 grid; decoding to at least 192 px (three pixels per
  // grid cell) keeps every conformance image within the reference's port
  // tolerance, where 128 px (two per cell) put a downscaled JPEG 12 bits away
  // and 64 px up to 16 (docs/benchmarks.md, "PDQ working size").
  int working_side() const override { return 192; }
  // Hamming distance <= 31 of 256: the common PDQ threshold (StopNCII, HMA).
  int default_threshold() const override { return 31; }

  absl::StatusOr<Signal> Compute(const SignalInput& input) const override {
    if (input.image == nullptr) return absl::InternalError("pdq needs decoded pixels");
    const PdqResult r = ComputePdq(input.image->luma, input.variants);
    Signal s;
    s.type = "pdq";
    s.hash.assign(r.hash.begin(), r.hash.end());
    s.quality = r.quality;
    if (input.variants) {
      for (const PdqBits& v : r.dihedral) s.variants.emplace_back(v.begin(), v.end());
    }
    return s;
  }
};

}  // namespace

const SignalType& PdqType() {
  static const PdqSignalType type;
  return type;
}
}  // namespace hashwatch::signals
