// The embedding signal through the public API (docs/embedding.md): the
// default model (made by the set-up command) embeds a copy near its original
// and far from unrelated photos; a catalog with the embedding stores it,
// searches it, verifies what it proposes, forgets withdrawn cases, and keeps
// other models' vectors out of its index.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "catalog/catalog_fixtures.h"
#include "hashwatch/catalog.h"
#include "hashwatch/embedding.h"
#include "hashwatch/image_hasher.h"
#include "match/photo_matcher.h"
#include "robustness_test_support.h"
#include "robustness_transforms.h"
#include "test_support.h"

namespace hashwatch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestdataDir;

std::shared_ptr<const EmbeddingModel> DefaultModel() {
  static const absl::StatusOr<std::shared_ptr<const EmbeddingModel>> model =
      EmbeddingModel::LoadSettings(DefaultEmbeddingModelSettingsPath());
  INFO(
      "the set-up command (scripts/run.sh) makes the default model: " << model.status().ToString());
  REQUIRE(model.ok());
  return *model;
}

std::vector<float> Embed(const ImageHasher& hasher, const std::vector<uint8_t>& bytes) {
  absl::StatusOr<ImageSignals> s = hasher.HashBytes(bytes);
  REQUIRE(s.ok());
  return s->embedding;
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double dot = 0;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i];
  return dot;
}

std::vector<uint8_t> Encode(const cv::Mat& image, int quality = 0) {
  absl::StatusOr<std::vector<uint8_t>> bytes = bench::EncodeImage(image, quality);
  REQUIRE(bytes.ok());
  return *bytes;
}

// The central 80% of each side (a 20% crop: PDQ alone is far past 31 bits).
cv::Mat Crop20(const cv::Mat& image) {
  const int dx = image.cols / 10, dy = image.rows / 10;
  return image(cv::Rect(dx, dy, image.cols - 2 * dx, image.rows - 2 * dy)).clone();
}

// How near a half-size, re-encoded copy of each known photo comes to its
// original, and the rank of the original among the known photos (1: nearest).
struct CopyRanks {
  std::vector<double> own;
  std::vector<int> rank;
};

CopyRanks HalfSizeCopies() {
  const std::shared_ptr<const EmbeddingModel> model = DefaultModel();
  HashOptions options;
  options.embedding = model;
  absl::StatusOr<ImageHasher> hasher = ImageHasher::Create(options);
  REQUIRE(hasher.ok());
  std::vector<std::vector<float>> originals;
  std::vector<cv::Mat> images;
  for (const char* name : testing::kKnownPhotos) {
    images.push_back(cv::imread((TestdataDir() / "known" / name).string(), cv::IMREAD_COLOR));
    REQUIRE(!images.back().empty());
    originals.push_back(Embed(*hasher, Encode(images.back())));
    double norm = 0;
    for (float x : originals.back()) norm += x * x;
    CHECK(originals.back().size() == static_cast<size_t>(model->dimension()));
    CHECK(std::sqrt(norm) == Approx(1.0).epsilon(1e-4));
  }
  CopyRanks out;
  for (size_t i = 0; i < originals.size(); ++i) {
    cv::Mat half;
    cv::resize(images[i], half, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
    const std::vector<float> copy = Embed(*hasher, Encode(half, 70));
    const double own = Cosine(copy, originals[i]);
    int rank = 1;
    for (size_t j = 0; j < originals.size(); ++j)
      rank += j != i && Cosine(copy, originals[j]) > own;
    out.own.push_back(own);
    out.rank.push_back(rank);
  }
  return out;
}

TEST_CASE("The default embedding puts a copy near its original", "[embedding]") {
  const CopyRanks r = HalfSizeCopies();
  for (size_t i = 0; i < r.own.size(); ++i) {
    INFO(testing::kKnownPhotos[i] << ": cosine with its original " << r.own[i] << ", rank "
                                  << r.rank[i]);
    CHECK(r.own[i] > 0.95);
    CHECK(r.rank[i] == 1);
  }
}

TEST_CASE("A model file that is missing or not a network is a clear error", "[embedding]") {
  EmbeddingModelOptions options;
  options.onnx_path = "/nonexistent/model.onnx";
  absl::StatusOr<std::shared_ptr<const EmbeddingModel>> missing = EmbeddingModel::Load(options);
  REQUIRE(!missing.ok());
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("/nonexistent/model.onnx"));
  TempDir dir;
  const fs::path junk = dir.path() / "junk.onnx";
  testing::WriteFileText(junk, "not an onnx file");
  options.onnx_path = junk.string();
  absl::StatusOr<std::shared_ptr<const EmbeddingModel>> bad = EmbeddingModel::Load(options);
  REQUIRE(!bad.ok());
  CHECK_THAT(std::string(bad.status().message()), Catch::Contains("junk.onnx"));
  CHECK(!EmbeddingModel::LoadSettings((dir.path() / "none.json").string()).ok());
}

TEST_CASE("A catalog with the embedding finds a crop through it, verified",
          "[embedding][catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  CatalogOptions options;
  options.embedding = DefaultModel();
  std::map<std::string, ItemId> items;
  {
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(db.string(), options);
    REQUIRE(c.ok());
    for (const char* name : testing::kKnownPhotos) {
      absl::StatusOr<EnrollResult> r = (*c)->EnrollFile({.case_id = std::string("K-") + name,
                                                         .label = "",
                                                         .source_note = "",
                                                         .operator_name = "test"},
                                                        (TestdataDir() / "known" / name).string());
      REQUIRE(r.ok());
      items[name] = r->item;
    }
    absl::StatusOr<CatalogStats> stats = (*c)->Stats();
    REQUIRE(stats.ok());
    CHECK(stats->embeddings == 5);
    CHECK(stats->indexed_embeddings == 5);
  }
  // No pixels: an embedding is a 12-byte header and 384 half floats.
  CHECK(testing::SqlInt(db,
                        "SELECT count(*) FROM signals WHERE type = 'embedding' AND "
                        "(length(hash) <> 12 + 2 * 384 OR "
                        "substr(hash, 1, 2) <> CAST('HE' AS BLOB))") == 0);
  absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(db.string(), options);
  REQUIRE(c.ok());
  absl::StatusOr<CatalogStats> stats = (*c)->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->indexed_embeddings == 5);  // read back from the file

  // Only the embedding may propose candidates: no views, no PDQ band.
  MatchOptions only;
  only.query_views = false;
  only.stored_views = false;
  only.verify_threshold = only.threshold;
  const cv::Mat coast =
      cv::imread((TestdataDir() / "known" / "coast.jpg").string(), cv::IMREAD_COLOR);
  const std::vector<uint8_t> crop = Encode(Crop20(coast), 80);
  absl::StatusOr<MatchResult> m = (*c)->MatchBytes(crop, only);
  REQUIRE(m.ok());
  REQUIRE(m->matches.size() == 1);
  CHECK(m->matches[0].item == items["coast.jpg"]);
  CHECK(m->matches[0].signal == "embedding");
  CHECK(m->matches[0].stage == "verified");
  CHECK(m->matches[0].inliers >= match::kEmbeddingMinInliers);
  CHECK(m->matches[0].score > 0.5);

  // Without the embedding the same query finds nothing.
  only.embedding = false;
  m = (*c)->MatchBytes(crop, only);
  REQUIRE(m.ok());
  CHECK(m->matches.empty());
  only.embedding = true;

  // Unrelated photos stay unmatched however near their embeddings come.
  for (const char* other : {"blossom.jpg", "coins.jpg", "flower.jpg", "retina.jpg"}) {
    absl::StatusOr<MatchResult> u =
        (*c)->MatchFile((TestdataDir() / "crawled" / other).string(), MatchOptions());
    REQUIRE(u.ok());
    CHECK(u->matches.empty());
  }

  // A withdrawn case stops matching through the embedding at once.
  REQUIRE((*c)->Withdraw("K-coast.jpg", "test").ok());
  m = (*c)->MatchBytes(crop, only);
  REQUIRE(m.ok());
  CHECK(m->matches.empty());
}

TEST_CASE("Two screenshots of one app stay apart with the embedding on", "[embedding][catalog]") {
  // The embedding proposes the other screenshot (the only known image) and
  // its keypoints agree on the app's window; the aligned PDQ refuses it.
  TempDir dir;
  CatalogOptions options;
  options.embedding = DefaultModel();
  absl::StatusOr<std::unique_ptr<Catalog>> c =
      Catalog::Open((dir.path() / "c.db").string(), options);
  REQUIRE(c.ok());
  const cv::Mat coast =
      cv::imread((TestdataDir() / "known" / "coast.jpg").string(), cv::IMREAD_COLOR);
  const cv::Mat tulips =
      cv::imread((TestdataDir() / "known" / "tulips.jpg").string(), cv::IMREAD_COLOR);
  REQUIRE((*c)->EnrollBytes({.case_id = "K", .label = "", .source_note = "", .operator_name = "t"},
                            Encode(testing::AppScreenshot(coast)))
              .ok());
  MatchOptions loose;
  loose.verify_threshold = 256;  // every known image is a candidate
  absl::StatusOr<MatchResult> m =
      (*c)->MatchBytes(Encode(testing::AppScreenshot(tulips), 90), loose);
  REQUIRE(m.ok());
  CHECK(m->matches.empty());
  // The same app showing the same photo matches.
  m = (*c)->MatchBytes(Encode(testing::AppScreenshot(coast), 90), loose);
  REQUIRE(m.ok());
  CHECK(m->matches.size() == 1);
}

TEST_CASE("Embeddings of another model are not searched", "[embedding][catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  CatalogOptions options;
  options.embedding = DefaultModel();
  {
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(db.string(), options);
    REQUIRE(c.ok());
    REQUIRE((*c)->EnrollFile({.case_id = "K", .label = "", .source_note = "", .operator_name = "t"},
                             (TestdataDir() / "known" / "coast.jpg").string())
                .ok());
  }
  // The same network under other settings (BGR order) makes other vectors.
  EmbeddingModelOptions other = DefaultModel()->options();
  other.rgb = !other.rgb;
  absl::StatusOr<std::shared_ptr<const EmbeddingModel>> model = EmbeddingModel::Load(other);
  REQUIRE(model.ok());
  REQUIRE((*model)->fingerprint() != DefaultModel()->fingerprint());
  options.embedding = *model;
  absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(db.string(), options);
  REQUIRE(c.ok());
  absl::StatusOr<CatalogStats> stats = (*c)->Stats();
  REQUIRE(stats.ok());
  CHECK(stats->embeddings == 1);
  CHECK(stats->indexed_embeddings == 0);
  CHECK(stats->foreign_embeddings == 1);
}

}  // namespace
}  // namespace hashwatch
