// ImageHasher: the image pipeline's front door (bytes -> pixels -> signals).
#include "hashwatch/image_hasher.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <opencv2/core.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hashwatch/embedding.h"
#include "hashwatch/signal_type.h"
#include "media/file_reader.h"
#include "media/image_decoder.h"
#include "signals/image_views.h"
#include "signals/local_features.h"

namespace hashwatch {

ImageHasher::ImageHasher(HashOptions options, std::vector<const SignalType*> types)
    : options_(std::move(options)), types_(std::move(types)) {
  for (const SignalType* t : types_) {
    needs_pixels_ |= t->needs_pixels();
    working_side_ = std::max(working_side_, t->working_side());
  }
  const bool views = options_.views.border || options_.views.canvas || options_.views.regions;
  needs_pixels_ |= views || options_.local_features || options_.embedding != nullptr;
  // Local features want more pixels than PDQ: the shorter side of a 4:3
  // image analysed at kFeatureSide.
  needs_pixels_ |= options_.verification_pixels;
  if (options_.local_features || options_.verification_pixels)
    working_side_ = std::max(working_side_, signals::kFeatureSide * 3 / 4);
}

absl::StatusOr<ImageHasher> ImageHasher::Create(const HashOptions& options) {
  if (options.signals.empty()) return absl::InvalidArgumentError("no signal types requested");
  if (absl::Status s = ValidateDecodeLimits(options.limits); !s.ok()) return s;
  std::vector<const SignalType*> types;
  for (const std::string& name : options.signals) {
    const SignalType* t = FindSignalType(name);
    if (t == nullptr) {
      std::string known;
      for (const SignalType* k : AllSignalTypes())
        absl::StrAppend(&known, known.empty() ? "" : ", ", std::string(k->name()));
      return absl::InvalidArgumentError(
          absl::StrCat("unknown signal type '", name, "' (known: ", known, ")"));
    }
    if (std::find(types.begin(), types.end(), t) == types.end()) types.push_back(t);
  }
  return ImageHasher(options, std::move(types));
}

absl::StatusOr<ImageSignals> ImageHasher::HashFile(const std::string& path) const {
  return HashFile(path, nullptr);
}

absl::StatusOr<ImageSignals> ImageHasher::HashFile(
    const std::string& path, std::shared_ptr<const DecodedImage>* pixels) const {
  absl::StatusOr<std::vector<uint8_t>> bytes = media::ReadFile(path, options_.limits.max_bytes);
  absl::StatusOr<ImageSignals> result =
      bytes.ok() ? HashBytes(*bytes, pixels) : absl::StatusOr<ImageSignals>(bytes.status());
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat(path, ": ", result.status().message()));
  }
  return result;
}

absl::StatusOr<ImageSignals> ImageHasher::HashBytes(absl::Span<const uint8_t> bytes) const {
  return HashBytes(bytes, nullptr);
}

absl::StatusOr<ImageSignals> ImageHasher::HashBytes(
    absl::Span<const uint8_t> bytes, std::shared_ptr<const DecodedImage>* pixels) const {
  if (pixels != nullptr) pixels->reset();
  // OpenCV reports what it cannot do with an image by throwing: that is one
  // image's error, never the end of a batch.
  try {
    return HashUnguarded(bytes, pixels);
  } catch (const cv::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("image could not be processed: ", e.what()));
  }
}

absl::StatusOr<ImageSignals> ImageHasher::HashUnguarded(
    absl::Span<const uint8_t> bytes, std::shared_ptr<const DecodedImage>* pixels) const {
  std::shared_ptr<DecodedImage> image;
  ImageSignals out;
  if (needs_pixels_) {
    absl::StatusOr<DecodedImage> decoded =
        media::DecodeImage(bytes, options_.limits, working_side_,
                           /*keep_aspect=*/options_.local_features || options_.verification_pixels,
                           options_.embedding ? options_.embedding->colour_side() : 0);
    if (!decoded.ok()) return decoded.status();
    image = std::make_shared<DecodedImage>(*std::move(decoded));
    out.width = image->width;
    out.height = image->height;
  } else if (bytes.empty()) {
    return absl::InvalidArgumentError("empty file");
  }
  const SignalInput input{bytes, image.get(), options_.variants};
  for (const SignalType* t : types_) {
    absl::StatusOr<Signal> s = t->Compute(input);
    if (!s.ok()) return s.status();
    out.signals.push_back(*std::move(s));
  }
  const ViewOptions& views = options_.views;
  if (views.border || views.canvas || views.regions) {
    const Signal* whole = out.Find("pdq");
    if (whole == nullptr) return absl::InvalidArgumentError("image views need the pdq signal");
    out.views = signals::ComputeViews(*image, *whole, views, options_.variants);
  }
  if (options_.local_features) {
    out.local_features =
        signals::SerializeLocalFeatures(signals::ExtractLocalFeatures(image->luma));
  }
  if (options_.embedding != nullptr) {
    absl::StatusOr<std::vector<float>> e = options_.embedding->Embed(*image);
    if (!e.ok()) return e.status();
    out.embedding = *std::move(e);
  }
  if (pixels != nullptr && options_.verification_pixels) *pixels = std::move(image);
  return out;
}

}  // namespace hashwatch
