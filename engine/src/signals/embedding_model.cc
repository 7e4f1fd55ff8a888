// EmbeddingModel: ONNX network -> L2-normalised vector (hashwatch/embedding.h).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "hashwatch/embedding.h"
#include "media/decoded_image.h"

namespace hashwatch {
namespace {

// FNV-1a, 32 bits.
uint32_t Fnv1a(std::string_view text) {
  uint32_t h = 2166136261u;
  for (unsigned char c : text) h = (h ^ c) * 16777619u;
  return h;
}

absl::Status Named(const std::string& path, const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("embedding model ", path, ": ", s.message()));
}

}  // namespace

struct EmbeddingModel::Impl {
  EmbeddingModelOptions options;
  std::vector<uchar> onnx;  // the file's bytes: each network instance is read from them
  int dimension = 0;
  uint32_t fingerprint = 0;
  // Network instances not in use: a forward pass changes a Net's state, so
  // each concurrent Embed borrows its own.
  mutable std::mutex mu;
  mutable std::vector<cv::dnn::Net> idle;

  absl::StatusOr<cv::dnn::Net> Borrow() const {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!idle.empty()) {
        cv::dnn::Net net = idle.back();
        idle.pop_back();
        return net;
      }
    }
    try {
      cv::dnn::Net net =
          cv::dnn::readNetFromONNX(reinterpret_cast<const char*>(onnx.data()), onnx.size());
      if (net.empty()) return absl::InvalidArgumentError("OpenCV could not read the network");
      net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
      return net;
    } catch (const cv::Exception& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("OpenCV could not read the network: ", e.what()));
    }
  }
  void GiveBack(cv::dnn::Net net) const {
    std::lock_guard<std::mutex> lock(mu);
    idle.push_back(std::move(net));
  }

  // The network's input blob for a BGR 8-bit image.
  cv::Mat Input(const cv::Mat& bgr) const {
    const cv::Size size(options.input_width, options.input_height);
    cv::Mat resized;
    const bool shrinks = bgr.cols >= size.width && bgr.rows >= size.height;
    cv::resize(bgr, resized, size, 0, 0, shrinks ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (options.rgb) cv::cvtColor(resized, resized, cv::COLOR_BGR2RGB);
    cv::Mat f;
    resized.convertTo(f, CV_32F);
    const int dims[] = {1, 3, size.height, size.width};
    cv::Mat blob(4, dims, CV_32F);
    std::vector<cv::Mat> planes;
    cv::split(f, planes);
    for (int c = 0; c < 3; ++c) {
      cv::Mat plane(size.height, size.width, CV_32F, blob.ptr<float>(0, c));
      planes[c].convertTo(plane, CV_32F, options.scale / options.std[c],
                          -options.mean[c] / options.std[c]);
    }
    return blob;
  }

  // OpenCV 4.6 names the layer of an ONNX node that is not a graph output
  // "onnx_node!" + its output: the settings may give the plain name.
  std::string LayerName(const cv::dnn::Net& net) const {
    if (net.getLayerId(options.output) >= 0) return options.output;
    const std::string prefixed = "onnx_node!" + options.output;
    return net.getLayerId(prefixed) >= 0 ? prefixed : options.output;
  }

  absl::StatusOr<std::vector<float>> Run(const cv::Mat& bgr) const {
    absl::StatusOr<cv::dnn::Net> net = Borrow();
    if (!net.ok()) return net.status();
    cv::Mat out;
    try {
      net->setInput(Input(bgr));
      out = options.output.empty() ? net->forward() : net->forward(LayerName(*net));
    } catch (const cv::Exception& e) {
      return absl::InternalError(absl::StrCat("the network failed: ", e.what()));
    }
    GiveBack(*std::move(net));
    // [1, D] or [1, D, H, W]: pool a feature map over space.
    if (out.dims < 2 || out.size[0] != 1) {
      return absl::InternalError("the network's output is not one vector per image");
    }
    const int d = out.size[1];
    size_t spatial = 1;
    for (int i = 2; i < out.dims; ++i) spatial *= static_cast<size_t>(out.size[i]);
    std::vector<float> v(static_cast<size_t>(d), 0.0f);
    const float* p = out.ptr<float>();
    const double gem = options.gem_p;
    for (int c = 0; c < d; ++c) {
      const float* plane = p + static_cast<size_t>(c) * spatial;
      double sum = 0;
      if (gem == 1) {
        for (size_t s = 0; s < spatial; ++s) sum += plane[s];
        v[static_cast<size_t>(c)] = static_cast<float>(sum / static_cast<double>(spatial));
      } else {
        // GeM is defined on non-negative responses (after a ReLU); p = 3,
        // the usual choice, without pow (this loop sees every activation).
        if (gem == 3) {
          for (size_t s = 0; s < spatial; ++s) {
            const double x = std::max(plane[s], 1e-6f);
            sum += x * x * x;
          }
        } else {
          for (size_t s = 0; s < spatial; ++s) sum += std::pow(std::max(plane[s], 1e-6f), gem);
        }
        v[static_cast<size_t>(c)] =
            static_cast<float>(std::pow(sum / static_cast<double>(spatial), 1.0 / gem));
      }
    }
    double norm = 0;
    for (float x : v) {
      if (!std::isfinite(x)) return absl::InternalError("the network gave a non-finite value");
      norm += static_cast<double>(x) * x;
    }
    norm = std::sqrt(norm);
    if (norm <= 0) return absl::InternalError("the network gave an all-zero vector");
    for (float& x : v) x = static_cast<float>(x / norm);
    return v;
  }
};

absl::StatusOr<EmbeddingModelOptions> ReadEmbeddingModelSettings(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(
        "embedding model settings ", path,
        ": cannot be read (the set-up command makes the default model: scripts/run.sh build)"));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
    EmbeddingModelOptions o;
    const std::filesystem::path file = j.at("file").get<std::string>();
    o.onnx_path = file.is_absolute() ? file.string()
                                     : (std::filesystem::path(path).parent_path() / file).string();
    o.name = j.value("name", file.filename().string());
    const int side = j.value("input_size", 224);
    o.input_width = j.value("input_width", side);
    o.input_height = j.value("input_height", side);
    const std::string colour = j.value("colour", "rgb");
    if (colour != "rgb" && colour != "bgr") {
      return absl::InvalidArgumentError(
          absl::StrCat("embedding model settings ", path, ": colour must be rgb or bgr"));
    }
    o.rgb = colour == "rgb";
    o.scale = j.value("scale", 1.0 / 255.0);
    if (j.contains("mean")) o.mean = j.at("mean").get<std::array<double, 3>>();
    if (j.contains("std")) o.std = j.at("std").get<std::array<double, 3>>();
    o.output = j.value("output", "");
    o.gem_p = j.value("gem_p", 1.0);
    return o;
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("embedding model settings ", path, ": ", e.what()));
  }
}

std::string DefaultEmbeddingModelSettingsPath() {
  if (const char* env = std::getenv("HASHWATCH_EMBEDDING_MODEL"); env != nullptr && *env != 0) {
    return env;
  }
  return HASHWATCH_DEFAULT_MODEL_SETTINGS;
}

EmbeddingModel::EmbeddingModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddingModel::~EmbeddingModel() = default;

absl::StatusOr<std::shared_ptr<const EmbeddingModel>> EmbeddingModel::Load(
    const EmbeddingModelOptions& options) {
  const std::string& path = options.onnx_path;
  if (options.input_width < 16 || options.input_height < 16 || options.input_width > 4096 ||
      options.input_height > 4096) {
    return Named(path, absl::InvalidArgumentError("input size must be 16..4096 pixels a side"));
  }
  for (double s : options.std) {
    if (!(s > 0)) return Named(path, absl::InvalidArgumentError("std must be positive"));
  }
  if (!(options.gem_p >= 1 && options.gem_p <= 16)) {
    return Named(path, absl::InvalidArgumentError("gem_p must be 1..16"));
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (impl->options.name.empty()) {
    impl->options.name = std::filesystem::path(path).filename().string();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Named(path, absl::NotFoundError("cannot be read (the set-up command makes the default "
                                           "model: scripts/run.sh build)"));
  }
  impl->onnx.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  // One pass on a mid-grey picture: the network loads, runs, and says how
  // long its vectors are.
  absl::StatusOr<std::vector<float>> probe =
      impl->Run(cv::Mat(options.input_height, options.input_width, CV_8UC3, cv::Scalar::all(128)));
  if (!probe.ok()) return Named(path, probe.status());
  impl->dimension = static_cast<int>(probe->size());
  const EmbeddingModelOptions& o = impl->options;
  impl->fingerprint = Fnv1a(
      absl::StrCat(o.name, "|", o.input_width, "x", o.input_height, "|", o.rgb ? "rgb" : "bgr", "|",
                   o.scale, "|", o.mean[0], ",", o.mean[1], ",", o.mean[2], "|", o.std[0], ",",
                   o.std[1], ",", o.std[2], "|", o.output, "|", o.gem_p, "|", impl->dimension));
  return std::shared_ptr<const EmbeddingModel>(new EmbeddingModel(std::move(impl)));
}

absl::StatusOr<std::shared_ptr<const EmbeddingModel>> EmbeddingModel::LoadSettings(
    const std::string& path) {
  absl::StatusOr<EmbeddingModelOptions> options = ReadEmbeddingModelSettings(path);
  if (!options.ok()) return options.status();
  return Load(*options);
}

const EmbeddingModelOptions& EmbeddingModel::options() const {
  return impl_->options;
}
int EmbeddingModel::dimension() const {
  return impl_->dimension;
}
uint32_t EmbeddingModel::fingerprint() const {
  return impl_->fingerprint;
}
int EmbeddingModel::colour_side() const {
  return std::min(impl_->options.input_width, impl_->options.input_height);
}

absl::StatusOr<std::vector<float>> EmbeddingModel::Embed(const DecodedImage& image) const {
  if (image.colour.empty() || image.colour.type() != CV_8UC3) {
    return absl::FailedPreconditionError("the embedding needs the image decoded in colour");
  }
  return impl_->Run(image.colour);
}

}  // namespace hashwatch
