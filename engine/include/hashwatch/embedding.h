// EmbeddingModel: a neural network (ONNX, run by OpenCV's dnn module) that
// turns an image into a vector, the "embedding" signal: copies of a picture
// land near each other under crops, overlays and re-framing where bit hashes
// drift apart. The vector is what the network's output layer gives for the
// whole image resized to the input size, pooled over space when the output
// is a feature map, then L2-normalised, so the inner product of two vectors
// is their cosine similarity (docs/embedding.md).
//
// The default model is MobileNetV2's ImageNet backbone as shipped by the npm
// package nsfwjs 4.4.0, converted to ONNX by the set-up command
// (scripts/model/, docs/embedding_model.md). Any other ONNX model can be used
// through its settings (SSCD, made for copy detection: docs/embedding.md).
//
// Thread safety: an EmbeddingModel is immutable after Load; Embed may be
// called from many threads at once (each call borrows a network instance of
// its own; OpenCV's own threads are off, as for decoding).
#ifndef HASHWATCH_EMBEDDING_H_
#define HASHWATCH_EMBEDDING_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace hashwatch {

struct DecodedImage;  // engine-internal decoded pixels (see src/media/).

struct EmbeddingModelOptions {
  // The ONNX file.
  std::string onnx_path;
  // Names the model in the catalog: vectors of different models are not
  // comparable, so a catalog refuses to mix them.
  std::string name;
  // The network's input, width x height pixels (the image is resized to it,
  // aspect not kept, as the default model was trained).
  int input_width = 224;
  int input_height = 224;
  // Channel order the network expects (true: R, G, B).
  bool rgb = true;
  // Each input value is (pixel * scale - mean[c]) / std[c], c in the
  // network's channel order.
  double scale = 1.0 / 255.0;
  std::array<double, 3> mean = {0, 0, 0};
  std::array<double, 3> std = {1, 1, 1};
  // The output layer; empty: the network's default output. A feature map
  // ([1, C, H, W]) is pooled over space into C values.
  std::string output;
  // Pooling of a feature map: gem_p == 1 averages; > 1 is generalised mean
  // pooling (mean of x^p, then ^(1/p): GeM, the usual pooling for retrieval,
  // which weighs the strongest responses more).
  double gem_p = 1;
};

// Reads the settings file the set-up command writes beside the ONNX file
// (model.json: "file", "name", "input_size", "colour", "scale", "mean",
// "std", "output", "gem_p"); "file" is relative to the settings file's
// folder.
absl::StatusOr<EmbeddingModelOptions> ReadEmbeddingModelSettings(const std::string& path);

// Where the default model's settings are: $HASHWATCH_EMBEDDING_MODEL when
// set, else models/model.json in the build folder the engine was built in.
std::string DefaultEmbeddingModelSettingsPath();

class EmbeddingModel {
 public:
  // Loads and checks the network (one forward pass on a grey image): an
  // error names the file and what is wrong with it.
  static absl::StatusOr<std::shared_ptr<const EmbeddingModel>> Load(
      const EmbeddingModelOptions& options);
  // Load(ReadEmbeddingModelSettings(path)).
  static absl::StatusOr<std::shared_ptr<const EmbeddingModel>> LoadSettings(
      const std::string& path);
  ~EmbeddingModel();

  const EmbeddingModelOptions& options() const;
  const std::string& name() const { return options().name; }
  // Length of the vectors Embed returns.
  int dimension() const;
  // A 32-bit fingerprint of the name and the settings that change the
  // vectors, stored with each vector (catalogs refuse other models').
  uint32_t fingerprint() const;

  // The L2-normalised embedding of an image decoded with colour
  // (DecodedImage::colour; media/image_decoder.h). Smallest useful colour
  // side: colour_side().
  absl::StatusOr<std::vector<float>> Embed(const DecodedImage& image) const;
  int colour_side() const;

 private:
  struct Impl;
  explicit EmbeddingModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hashwatch

#endif  // HASHWATCH_EMBEDDING_H_
