// The default embedding model (scripts/model/make_default_model.sh, run by the
// set-up command scripts/run.sh): OpenCV's dnn loads the converted ONNX file,
// and its output on the reference inputs matches an independent NumPy forward
// pass of the same Keras weights (scripts/model/reference_forward.py, which
// never reads the ONNX file). What the model is: docs/embedding_model.md.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "test_support.h"

namespace hashwatch {
namespace {

namespace fs = std::filesystem;
static_assert(std::endian::native == std::endian::little,
              "the reference tensors are little-endian float32");

constexpr int kInputSize = 224;
constexpr int kDimension = 1280;
// Agreement with NumPy (float64) on the same inputs. Measured on x86-64 with
// Debian's OpenCV 4.6: max |diff| 2.6e-6 on outputs up to ~3, cosine 1 - 1e-7.
// float32 rounding over ~50 layers accounts for that; 1e-4 leaves ~40x room for
// other CPUs' kernels (another summation order, AVX-512), while a real
// conversion fault (a pad on the wrong side, a kernel transposed, BN folded
// wrongly) moves outputs by 1e-2 or more.
constexpr double kMaxAbsDiff = 1e-4;
constexpr double kMinCosine = 0.9999;

fs::path ModelDir() { return fs::path(HASHWATCH_MODEL_DIR); }

// False when the model tests are skipped on purpose; a missing model is a failure:
// it is part of the set-up, not optional.
bool ModelWanted() {
  const char* skip = std::getenv("HASHWATCH_SKIP_MODEL_TESTS");
  if (skip != nullptr && std::string(skip) == "1") {
    WARN("HASHWATCH_SKIP_MODEL_TESTS=1: default embedding model tests skipped");
    return false;
  }
  if (!fs::exists(ModelDir() / "model.json")) {
    FAIL("no default embedding model in " << ModelDir().string()
         << ": it is made by the set-up command, run `scripts/run.sh build` (or "
            "`scripts/model/make_default_model.sh "
         << ModelDir().string()
         << "`); HASHWATCH_SKIP_MODEL_TESTS=1 skips these tests");
  }
  return true;
}

nlohmann::json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

std::vector<float> ReadFloats(const fs::path& path, size_t count) {
  const std::vector<uint8_t> bytes = testing::ReadFileBytes(path);
  INFO(path.string());
  REQUIRE(bytes.size() == count * sizeof(float));
  std::vector<float> out(count);
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

cv::dnn::Net LoadNet(const nlohmann::json& settings) {
  const fs::path file = ModelDir() / settings.at("file").get<std::string>();
  INFO(file.string());
  REQUIRE(fs::exists(file));
  cv::dnn::Net net = cv::dnn::readNetFromONNX(file.string());
  REQUIRE_FALSE(net.empty());
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  return net;
}

std::vector<float> Forward(cv::dnn::Net& net, const std::vector<float>& input) {
  const int shape[] = {1, 3, kInputSize, kInputSize};
  cv::Mat blob(4, shape, CV_32F, const_cast<float*>(input.data()));
  net.setInput(blob, "input");
  cv::Mat out = net.forward("embedding");
  REQUIRE(out.isContinuous());
  REQUIRE(out.type() == CV_32F);
  REQUIRE(out.total() == static_cast<size_t>(kDimension));
  return {out.ptr<float>(), out.ptr<float>() + out.total()};
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// The engine reads block_10_expand_relu, GeM-pooled (384-d; docs/embedding.md),
// an earlier layer of the same graph: the graph's own output, checked here
// and against NumPy below, depends on every layer up to it.
TEST_CASE("The default embedding model loads and gives its 1280-d graph output", "[model]") {
  if (!ModelWanted()) return;
  const nlohmann::json settings = ReadJson(ModelDir() / "model.json");
  CHECK(settings.at("input_size") == kInputSize);
  CHECK(settings.at("dimension") == 384);
  CHECK(settings.at("output") == "block_10_expand_relu");
  CHECK(settings.at("gem_p") == 3.0);
  CHECK(settings.at("colour") == "rgb");
  CHECK(settings.at("licence") == "MIT");
  cv::dnn::Net net = LoadNet(settings);
  std::vector<std::string> outputs = net.getUnconnectedOutLayersNames();
  REQUIRE(outputs == std::vector<std::string>{"embedding"});

  // A mid-grey image: every value finite, and not all the same.
  const std::vector<float> grey(3 * kInputSize * kInputSize, 0.5f);
  const std::vector<float> e = Forward(net, grey);
  const size_t finite = std::count_if(e.begin(), e.end(), [](float v) { return std::isfinite(v); });
  REQUIRE(finite == e.size());
  const auto [lo, hi] = std::minmax_element(e.begin(), e.end());
  CHECK(*hi - *lo > 0.1f);
}

TEST_CASE("The converted model matches a NumPy forward pass of the same weights", "[model]") {
  if (!ModelWanted()) return;
  const nlohmann::json settings = ReadJson(ModelDir() / "model.json");
  const fs::path ref = ModelDir() / "reference";
  const nlohmann::json index = ReadJson(ref / "index.json");
  REQUIRE(index.at("input_shape") ==
          nlohmann::json::array({1, 3, kInputSize, kInputSize}));
  REQUIRE(index.at("embedding_dimension") == kDimension);
  const nlohmann::json& entries = index.at("entries");
  // At least two real photos (testdata/known) and the pseudo-random tensor.
  REQUIRE(entries.size() >= 3);

  cv::dnn::Net net = LoadNet(settings);
  std::vector<std::vector<float>> got;
  for (const nlohmann::json& entry : entries) {
    const std::string name = entry.at("name");
    INFO("reference input " << name);
    const std::vector<float> input =
        ReadFloats(ref / entry.at("input").get<std::string>(), 3 * kInputSize * kInputSize);
    const std::vector<float> want =
        ReadFloats(ref / entry.at("embedding").get<std::string>(), kDimension);
    const std::vector<float> e = Forward(net, input);
    double max_diff = 0;  // NaN-safe: a non-finite output fails below
    size_t finite = 0;
    for (int i = 0; i < kDimension; ++i) {
      finite += std::isfinite(e[i]) ? 1 : 0;
      max_diff = std::max(max_diff, std::abs(double{e[i]} - want[i]));
    }
    REQUIRE(finite == static_cast<size_t>(kDimension));
    const double cosine = Cosine(e, want);
    INFO("max |onnx - numpy| = " << max_diff << ", cosine = " << cosine);
    CHECK(max_diff <= kMaxAbsDiff);
    CHECK(cosine >= kMinCosine);
    got.push_back(e);
  }
  // Different inputs give clearly different embeddings (the photos measure
  // 0.3-0.6 apart in cosine; a broken net tends to give one answer for all).
  for (size_t i = 0; i < got.size(); ++i) {
    for (size_t j = i + 1; j < got.size(); ++j) {
      INFO(entries[i].at("name") << " vs " << entries[j].at("name"));
      CHECK(Cosine(got[i], got[j]) < 0.95);
    }
  }
}

}  // namespace
}  // namespace hashwatch
