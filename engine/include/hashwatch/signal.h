// A computed signal value: the hash of one signal type for one image.
//
// Values are plain data, safe to copy and to read from many threads.
// Contains hashes only, never pixels.
#ifndef HASHWATCH_SIGNAL_H_
#define HASHWATCH_SIGNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hashwatch {

// The eight dihedral transforms of an image, in the order and with the
// meaning of Meta's PDQ reference (checked against its dihedral test images).
// The variant hash of image I under transform T is the hash of T(I).
enum class Dihedral : int {
  kOriginal = 0,
  kRotate90 = 1,  // 90 degrees anticlockwise
  kRotate180 = 2,
  kRotate270 = 3,   // 270 degrees anticlockwise (90 clockwise)
  kFlipX = 4,       // mirror about the horizontal axis: top <-> bottom
  kFlipY = 5,       // mirror about the vertical axis: left <-> right
  kFlipPlus1 = 6,   // transpose: mirror about the main diagonal
  kFlipMinus1 = 7,  // mirror about the anti-diagonal
};
inline constexpr int kDihedralCount = 8;
std::string_view DihedralName(Dihedral d);

struct Signal {
  // Name of the SignalType that made it ("pdq", "phash", "sha256", "md5").
  std::string type;
  // The hash, in the type's canonical byte order (SignalType::Format prints it).
  std::vector<uint8_t> hash;
  // 0..100 for perceptual hashes (how much structure the image had); -1 for
  // types without a quality (digests).
  int quality = -1;
  // Transformed variants of `hash`, indexed by Dihedral, for types that have
  // them (PDQ) when they were asked for (HashOptions::variants); empty
  // otherwise. variants[0] == hash.
  std::vector<std::vector<uint8_t>> variants;
};

// A rectangle of an image hashed on its own (HashOptions::views).
struct ImageView {
  std::string kind;  // "border", "canvas", "region" or "rotated"
  // In the image's pixels after EXIF orientation ("rotated": the whole
  // image, turned back by `rotation` degrees, anticlockwise positive, and
  // its central part hashed).
  int x = 0, y = 0, width = 0, height = 0;
  double rotation = 0;
  Signal pdq;  // with variants when they were asked for
};

// Everything hashed from one image.
struct ImageSignals {
  // Size of the image at full resolution after EXIF orientation, in pixels.
  int width = 0;
  int height = 0;
  // One entry per requested signal type, in the order requested.
  std::vector<Signal> signals;
  // Views besides the whole image, when HashOptions::views asked for them.
  std::vector<ImageView> views;
  // Keypoints and their binary descriptors (ORB), serialised, for the
  // verification stage (HashOptions::local_features); empty otherwise.
  // Positions are relative to the image's size; no pixels are kept.
  std::vector<uint8_t> local_features;
  // The embedding (HashOptions::embedding): L2-normalised, so the inner
  // product of two is their cosine similarity; empty otherwise.
  std::vector<float> embedding;

  // The signal of the given type, or nullptr.
  const Signal* Find(std::string_view type) const;
};

}  // namespace hashwatch

#endif  // HASHWATCH_SIGNAL_H_
