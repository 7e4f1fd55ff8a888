// "phash": the 64-bit DCT perceptual hash, for exchanging with tools that
// speak pHash. Computed by OpenCV's img_hash::PHash (opencv_contrib), whose
// definition is: the 8-bit luma image resized to 32x32 (bilinear), its 2-D DCT,
// the 8x8 lowest frequencies with the DC term set to 0, and bit k (row-major
// over the 8x8) set when that coefficient exceeds the mean of the 64; bit k is
// bit k % 8 of byte k / 8. Printed as 16 hex digits, byte 0 first.
#include <opencv2/img_hash.hpp>

#include "absl/status/status.h"
#include "hashwatch/signal_type.h"
#include "media/decoded_image.h"
#include "signals/builtin_signal_types.h"

namespace hashwatch::signals {
namespace {

class PhashSignalType final : public SignalType {
 public:
  std::string_view name() const override { return "phash"; }
  size_t hash_size() const override { return 8; }
  bool needs_pixels() const override { return true; }
  int working_side() const override { return 32; }
  // Hamming distance <= 10 of 64 is the threshold commonly used with the
  // 64-bit DCT hash (pHash's own examples and imagehash users).
  int default_threshold() const override { return 10; }

  absl::StatusOr<Signal> Compute(const SignalInput& input) const override {
    if (input.image == nullptr) return absl::InternalError("phash needs decoded pixels");
    cv::Mat grey;
    input.image->luma.convertTo(grey, CV_8U);  // rounds and saturates to 0..255
    cv::Mat hash;
    try {
      cv::img_hash::PHash::create()->compute(grey, hash);
    } catch (const cv::Exception& e) {
      return absl::InternalError(e.what());
    }
    if (hash.total() != hash_size()) return absl::InternalError("unexpected pHash size");
    Signal s;
    s.type = "phash";
    s.hash.assign(hash.ptr<uint8_t>(0), hash.ptr<uint8_t>(0) + hash_size());
    return s;
  }
};

}  // namespace

const SignalType& PhashType() {
  static const PhashSignalType type;
  return type;
}

}  // namespace hashwatch::signals
