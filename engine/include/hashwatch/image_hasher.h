// ImageHasher: image file or bytes -> ImageSignals.
//
// Decoding is content-sniffed (JPEG, PNG, WebP, BMP, TIFF, GIF first frame),
// EXIF orientation is applied, and size limits are checked from the header
// before any pixel is decoded. Errors are per-input and carry a message a
// person can act on ("photo.jpg: truncated JPEG (no end-of-image marker in
// 4096 bytes)"). No exception escapes.
//
// Thread safety: an ImageHasher is immutable after Create; HashFile and
// HashBytes may be called from many threads at once. Each call runs on the
// calling thread only: parallelism is the caller's (hash several files at
// once, as OrderedParallelMap does). To that end the first decode turns
// OpenCV's own thread pool off (cv::setNumThreads(0)) and its console log
// down, for the whole process.
#ifndef HASHWATCH_IMAGE_HASHER_H_
#define HASHWATCH_IMAGE_HASHER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/decode_limits.h"
#include "hashwatch/signal.h"

namespace hashwatch {

class SignalType;
class EmbeddingModel;
struct DecodedImage;  // engine-internal decoded pixels (see src/media/).

// Extra looks at one image for matching the copies plain PDQ misses
// (docs/robustness.md): each view is a rectangle of the image hashed on its
// own, reported in ImageSignals::views.
struct ViewOptions {
  // The picture inside uniform or blurred-fill borders (padding, letterbox,
  // a "vertical" canvas), when borders are found: media/border_detector.h,
  // the same code video uses.
  bool border = false;
  // Pictures found inside a larger canvas as rectangles with straight edges
  // (a screenshot of an app or a web page that shows the image): up to
  // kMaxCanvasViews of them, largest first.
  bool canvas = false;
  // Fixed sub-windows: the centre and the four corners at 90% and at 80% of
  // each side (10 views), so that a crop of the image lands near one.
  bool regions = false;
  // The image turned back by a few degrees each way (kViewRotations), its
  // central part (no corners the turn brings in): a copy rotated by a
  // small angle lands within ~3 degrees of one of them.
  bool rotations = false;
};
inline constexpr double kViewRotations[] = {-12, -6, 6, 12};
inline constexpr int kMaxCanvasViews = 3;

struct HashOptions {
  // Signal type names, computed and reported in this order.
  std::vector<std::string> signals = {"pdq"};
  // Also compute each signal's transformed variants where its type has them
  // (PDQ: the eight dihedral hashes, for matching rotated or mirrored
  // copies). Costs about three more PDQ filter passes per image.
  bool variants = false;
  // Views besides the whole image (ImageSignals::views).
  ViewOptions views;
  // Also compute local features (ImageSignals::local_features) for the
  // verification stage. Decodes at a larger size: costs a few ms per image.
  bool local_features = false;
  // Decode at the size the verification stage extracts a query's local
  // features from (aspect kept, shorter side >= 480 px, as local_features
  // does) and hand those pixels back (HashFile/HashBytes with `pixels`), so
  // that a scan which verifies candidates decodes its query once. The
  // signals are then computed from that decode, as at enrolment.
  bool verification_pixels = false;
  // Also compute the image's embedding with this network
  // (ImageSignals::embedding; hashwatch/embedding.h). Decodes a small colour
  // copy besides the luma; costs the network's forward pass.
  std::shared_ptr<const EmbeddingModel> embedding;
  DecodeLimits limits;
};

class ImageHasher {
 public:
  // Fails when a signal name is unknown or a limit is not positive.
  static absl::StatusOr<ImageHasher> Create(const HashOptions& options);

  // Reads and hashes one file. Error messages start with the path.
  absl::StatusOr<ImageSignals> HashFile(const std::string& path) const;
  // The same, also setting *pixels to the decoded image when
  // HashOptions::verification_pixels (else to null).
  absl::StatusOr<ImageSignals> HashFile(const std::string& path,
                                        std::shared_ptr<const DecodedImage>* pixels) const;
  // Hashes an encoded image held in memory. An image the pixel code cannot
  // process (OpenCV throws) is an InvalidArgument for that image.
  absl::StatusOr<ImageSignals> HashBytes(absl::Span<const uint8_t> bytes) const;
  absl::StatusOr<ImageSignals> HashBytes(absl::Span<const uint8_t> bytes,
                                         std::shared_ptr<const DecodedImage>* pixels) const;

  const HashOptions& options() const { return options_; }

 private:
  ImageHasher(HashOptions options, std::vector<const SignalType*> types);
  absl::StatusOr<ImageSignals> HashUnguarded(absl::Span<const uint8_t> bytes,
                                             std::shared_ptr<const DecodedImage>* pixels) const;

  HashOptions options_;
  std::vector<const SignalType*> types_;
  bool needs_pixels_ = false;
  int working_side_ = 0;
};

}  // namespace hashwatch

#endif  // HASHWATCH_IMAGE_HASHER_H_
