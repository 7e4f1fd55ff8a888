// PDQ against Meta's reference hasher, on ../shared/conformance/pdq/
// (see its README for what the bounds mean).
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "hashwatch/image_hasher.h"
#include "hashwatch/signal_type.h"
#include "test_support.h"

namespace hashwatch {
namespace {

struct Row {
  std::string file, hex;
  int quality = 0;
  bool lossless = false;
};

std::vector<Row> ReadExpected(const std::filesystem::path& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);  // header: file,pdq_hex,quality,width,height,lossless_at_most_512px
  std::vector<Row> rows;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string f[6];
    for (auto& x : f) std::getline(ss, x, ',');
    rows.push_back({f[0], f[1], std::stoi(f[2]), f[5] == "yes"});
  }
  return rows;
}

int Distance(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  return FindSignalType("pdq")->Distance(a, b);
}

class Conformance {
 public:
  Conformance() : dir_(testing::ConformanceDir()) {
    if (dir_.empty()) return;
    rows_ = ReadExpected(dir_ / "pdq" / "expected.csv");
    HashOptions options;
    options.variants = true;
    auto hasher = ImageHasher::Create(options);
    REQUIRE(hasher.ok());
    for (const Row& r : rows_) {
      auto s = hasher->HashFile((dir_ / "pdq" / "images" / r.file).string());
      INFO(r.file);
      REQUIRE(s.ok());
      signals_[r.file] = *s->Find("pdq");
    }
  }
  bool present() const {
    if (dir_.empty()) WARN("skipped: ../shared/conformance/ is absent beside the checkout");
    return !dir_.empty();
  }
  const std::vector<Row>& rows() const { return rows_; }
  const Signal& Of(const std::string& file) { return signals_.at(file); }
  std::vector<uint8_t> Expected(const Row& r) { return *FindSignalType("pdq")->Parse(r.hex); }

 private:
  std::filesystem::path dir_;
  std::vector<Row> rows_;
  std::map<std::string, Signal> signals_;
};

bool IsExifRotated(const std::string& file) {
  return file.find("exif-rotn") != std::string::npos && file.find("rotn-1") == std::string::npos;
}

TEST_CASE("PDQ is within 2 bits of the reference on lossless images of at most 512 px",
          "[conformance]") {
  Conformance c;
  if (!c.present()) return;
  int checked = 0;
  for (const Row& r : c.rows()) {
    if (!r.lossless) continue;
    INFO(r.file << " got " << FindSignalType("pdq")->Format(c.Of(r.file).hash) << " want "
                << r.hex);
    CHECK(Distance(c.Of(r.file).hash, c.Expected(r)) <= 2);
    CHECK(std::abs(c.Of(r.file).quality - r.quality) <= 2);
    ++checked;
  }
  CHECK(checked >= 10);
}

TEST_CASE("PDQ is within 10 bits of the reference on other images of quality >= 80",
          "[conformance]") {
  Conformance c;
  if (!c.present()) return;
  int checked = 0;
  for (const Row& r : c.rows()) {
    // The reference ignores EXIF orientation; we apply it (tested below).
    if (r.lossless || r.quality < 80 || IsExifRotated(r.file)) continue;
    INFO(r.file << " got " << FindSignalType("pdq")->Format(c.Of(r.file).hash) << " want "
                << r.hex);
    CHECK(Distance(c.Of(r.file).hash, c.Expected(r)) <= 10);
    ++checked;
  }
  CHECK(checked >= 30);
}

// The four exif-rotn files are four different photographs of one desk, taken
// with the phone held four ways (after orientation two are landscape, two
// portrait; upright, they hash 114-136 bits apart), so they cannot hash close
// to each other. What they do test: the reference hashed the stored pixels
// (it ignores orientation), so undoing our orientation must land on it.
TEST_CASE("EXIF orientation is applied: undoing it gives the reference's hash", "[conformance]") {
  Conformance c;
  if (!c.present()) return;
  // Stored pixels = displayed image under the inverse of the EXIF transform.
  const std::pair<const char*, Dihedral> cases[] = {
      {"1", Dihedral::kOriginal},
      {"3", Dihedral::kRotate180},  // displayed = stored turned 180
      {"6", Dihedral::kRotate90},   // displayed = stored turned 90 clockwise
      {"8", Dihedral::kRotate270},  // displayed = stored turned 90 anticlockwise
  };
  for (const auto& [orientation, undo] : cases) {
    const std::string file =
        std::string("reg-test-input_exif-rotn_exif-rotn-") + orientation + ".jpg";
    const Row* row = nullptr;
    for (const Row& r : c.rows()) {
      if (r.file == file) row = &r;
    }
    REQUIRE(row != nullptr);
    const Signal& s = c.Of(file);
    INFO(file);
    CHECK(Distance(s.variants[static_cast<int>(undo)], c.Expected(*row)) <= 10);
    if (undo != Dihedral::kOriginal) CHECK(Distance(s.hash, c.Expected(*row)) > 31);
  }
}

TEST_CASE("Each dihedral photo is within 8 bits of a dihedral variant of the original",
          "[conformance]") {
  Conformance c;
  if (!c.present()) return;
  const Signal& original = c.Of("reg-test-input_dih_bridge-1-original.jpg");
  REQUIRE(original.variants.size() == 8);
  const std::pair<const char*, Dihedral> cases[] = {
      {"1-original", Dihedral::kOriginal},     {"2-rotate-90", Dihedral::kRotate90},
      {"3-rotate-180", Dihedral::kRotate180},  {"4-rotate-270", Dihedral::kRotate270},
      {"5-flipx", Dihedral::kFlipX},           {"6-flipy", Dihedral::kFlipY},
      {"7-flip-plus-1", Dihedral::kFlipPlus1}, {"8-flip-minus-1", Dihedral::kFlipMinus1}};
  for (const auto& [name, variant] : cases) {
    const Signal& s = c.Of(std::string("reg-test-input_dih_bridge-") + name + ".jpg");
    int best = 256;
    for (const auto& v : original.variants) best = std::min(best, Distance(s.hash, v));
    INFO(name);
    CHECK(best <= 8);
    // And it is the variant of the same name.
    CHECK(Distance(s.hash, original.variants[static_cast<int>(variant)]) <= 8);
  }
}

}  // namespace
}  // namespace hashwatch
