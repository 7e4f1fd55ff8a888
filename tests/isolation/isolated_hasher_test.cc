// IsolatedHasher and scan isolation: worker processes hash what the
// in-process hasher would, and a worker that crashes, hangs or runs out of
// memory costs exactly one file.
#include "hashwatch/isolated_hasher.h"

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "hashwatch/catalog.h"
#include "test_support.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define HASHWATCH_TEST_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define HASHWATCH_TEST_SANITIZED 1
#endif

namespace hashwatch {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::TestdataDir;

// Sets the workers' fault hook for one test (the workers inherit it).
class FaultHook {
 public:
  explicit FaultHook(const std::string& spec) {
    ::setenv("HASHWATCH_WORKER_TEST_FAULT", spec.c_str(), 1);
  }
  ~FaultHook() { ::unsetenv("HASHWATCH_WORKER_TEST_FAULT"); }
};

HashOptions PdqWithVariants() {
  HashOptions o;
  o.signals = {"pdq"};
  o.variants = true;
  return o;
}

TEST_CASE("An isolated hasher gives what the in-process hasher gives", "[isolation]") {
  const HashOptions image = PdqWithVariants();
  VideoOptions video;
  video.variants = true;
  video.views.regions = true;  // as the catalog enrols references
  absl::StatusOr<MediaHasher> local = MediaHasher::Create(image, video);
  REQUIRE(local.ok());
  absl::StatusOr<std::unique_ptr<IsolatedHasher>> isolated =
      IsolatedHasher::Create(image, video,
                             {.workers = 2,
                              .memory_limit_bytes = int64_t{4} << 30,
                              .time_limit_seconds = 120,
                              .worker_path = "",
                              .verification_pixels = true});
  INFO(isolated.status().ToString());
  REQUIRE(isolated.ok());

  const std::string photo = (TestdataDir() / "known" / "coffee.jpg").string();
  absl::StatusOr<HashedFile> p = (*isolated)->HashFile(photo);
  absl::StatusOr<MediaSignals> q = local->HashFile(photo);
  REQUIRE(p.ok());
  REQUIRE(q.ok());
  CHECK(p->signals.kind == MediaKind::kImage);
  CHECK(p->signals.image.width == q->image.width);
  CHECK(p->signals.image.Find("pdq")->hash == q->image.Find("pdq")->hash);
  CHECK(p->signals.image.Find("pdq")->variants == q->image.Find("pdq")->variants);
  CHECK(p->signals.image.Find("pdq")->quality == q->image.Find("pdq")->quality);
  CHECK(p->pixels != nullptr);  // for the verification stage

  const std::string clip = (TestdataDir() / "video" / "street_vtest.mp4").string();
  absl::StatusOr<HashedFile> v = (*isolated)->HashFile(clip);
  absl::StatusOr<MediaSignals> w = local->HashFile(clip);
  REQUIRE(v.ok());
  REQUIRE(w.ok());
  CHECK(v->signals.kind == MediaKind::kVideo);
  REQUIRE(v->signals.video.frames.size() == w->video.frames.size());
  for (size_t i = 0; i < w->video.frames.size(); ++i) {
    CHECK(v->signals.video.frames[i].pdq.hash == w->video.frames[i].pdq.hash);
    CHECK(v->signals.video.frames[i].start == w->video.frames[i].start);
    const std::vector<ImageView>& there = v->signals.video.frames[i].views;
    const std::vector<ImageView>& here = w->video.frames[i].views;
    CHECK(!here.empty());
    REQUIRE(there.size() == here.size());
    for (size_t k = 0; k < here.size(); ++k) {
      CHECK(there[k].kind == here[k].kind);
      CHECK(there[k].pdq.hash == here[k].pdq.hash);
      CHECK(there[k].pdq.variants == here[k].pdq.variants);
    }
  }
  CHECK(v->signals.video.digests.size() == w->video.digests.size());

  // Ordinary per-file errors come back as they are, naming the file.
  for (const std::string& bad :
       {std::string("/nonexistent/x.jpg"), (TestdataDir() / "scan_expected.tsv").string()}) {
    absl::StatusOr<HashedFile> there = (*isolated)->HashFile(bad);
    absl::StatusOr<MediaSignals> here = local->HashFile(bad);
    REQUIRE_FALSE(there.ok());
    CHECK(there.status() == here.status());
  }
}

TEST_CASE("A worker that crashes or hangs costs exactly one file", "[isolation]") {
  TempDir dir;
  const auto bytes = testing::ReadFileBytes(TestdataDir() / "known" / "coffee.jpg");
  const std::vector<std::string> names = {"a.jpg", "b_crashme.jpg", "c_hangme.jpg", "d.jpg"};
  for (const std::string& n : names) testing::WriteFileBytes(dir.path() / n, bytes);
  FaultHook hook("crash:crashme,hang:hangme");
  absl::StatusOr<std::unique_ptr<IsolatedHasher>> isolated =
      IsolatedHasher::Create(PdqWithVariants(), VideoOptions(),
                             {.workers = 1,
                              .memory_limit_bytes = int64_t{4} << 30,
                              .time_limit_seconds = 3,
                              .worker_path = "",
                              .verification_pixels = false});
  REQUIRE(isolated.ok());
  std::vector<absl::StatusOr<HashedFile>> results;
  for (const std::string& n : names)
    results.push_back((*isolated)->HashFile((dir.path() / n).string()));
  REQUIRE(results[0].ok());
  CHECK(results[1].status().code() == absl::StatusCode::kAborted);
  CHECK_THAT(std::string(results[1].status().message()),
             Catch::Contains("b_crashme.jpg") && Catch::Contains("signal 11"));
  CHECK(results[2].status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK_THAT(std::string(results[2].status().message()),
             Catch::Contains("c_hangme.jpg") && Catch::Contains("time limit"));
  // The next file goes to a fresh worker and hashes as the first did.
  REQUIRE(results[3].ok());
  CHECK(results[3]->signals.image.Find("pdq")->hash == results[0]->signals.image.Find("pdq")->hash);
}

TEST_CASE("A worker that exhausts its memory limit costs exactly one file", "[isolation]") {
#ifdef HASHWATCH_TEST_SANITIZED
  WARN("not run: sanitizer builds run workers without a memory limit");
  return;
#endif
  TempDir dir;
  const auto bytes = testing::ReadFileBytes(TestdataDir() / "known" / "coffee.jpg");
  testing::WriteFileBytes(dir.path() / "a_oomme.jpg", bytes);
  testing::WriteFileBytes(dir.path() / "b.jpg", bytes);
  FaultHook hook("oom:oomme");
  absl::StatusOr<std::unique_ptr<IsolatedHasher>> isolated =
      IsolatedHasher::Create(PdqWithVariants(), VideoOptions(),
                             {.workers = 1,
                              .memory_limit_bytes = int64_t{1} << 30,
                              .time_limit_seconds = 60,
                              .worker_path = "",
                              .verification_pixels = false});
  REQUIRE(isolated.ok());
  absl::StatusOr<HashedFile> hog = (*isolated)->HashFile((dir.path() / "a_oomme.jpg").string());
  CHECK(hog.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(hog.status().message()),
             Catch::Contains("out of memory") && Catch::Contains("1024 MiB"));
  CHECK((*isolated)->HashFile((dir.path() / "b.jpg").string()).ok());
}

TEST_CASE("A catalog that isolates its queries matches as one that does not",
          "[isolation][catalog]") {
  TempDir dir;
  const fs::path db = dir.path() / "c.db";
  {
    absl::StatusOr<std::unique_ptr<Catalog>> c = Catalog::Open(db.string());
    REQUIRE(c.ok());
    for (const fs::directory_entry& e : fs::directory_iterator(TestdataDir() / "known")) {
      REQUIRE(
          (*c)->EnrollFile({.case_id = "K", .label = "", .source_note = "", .operator_name = ""},
                           e.path().string())
              .ok());
    }
  }
  CatalogOptions isolated_options;
  isolated_options.isolation = IsolationOptions{.workers = 2,
                                                .memory_limit_bytes = int64_t{4} << 30,
                                                .time_limit_seconds = 120,
                                                .worker_path = "",
                                                .verification_pixels = false};
  absl::StatusOr<std::unique_ptr<Catalog>> isolated = Catalog::Open(db.string(), isolated_options);
  absl::StatusOr<std::unique_ptr<Catalog>> local = Catalog::Open(db.string());
  INFO(isolated.status().ToString());
  REQUIRE(isolated.ok());
  REQUIRE(local.ok());
  int files = 0, matched = 0, verified = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(TestdataDir() / "crawled")) {
    absl::StatusOr<MatchResult> a = (*isolated)->MatchFile(e.path().string());
    absl::StatusOr<MatchResult> b = (*local)->MatchFile(e.path().string());
    INFO(e.path().filename().string());
    REQUIRE(a.ok() == b.ok());
    if (!a.ok()) continue;
    ++files;
    REQUIRE(a->matches.size() == b->matches.size());
    for (size_t i = 0; i < a->matches.size(); ++i) {
      CHECK(a->matches[i].item == b->matches[i].item);
      CHECK(a->matches[i].stage == b->matches[i].stage);
      CHECK(a->matches[i].distance == b->matches[i].distance);
      verified += a->matches[i].stage == "verified";
    }
    matched += !a->matches.empty();
  }
  CHECK(files >= 10);
  CHECK(matched >= 5);
  CHECK(verified >= 1);  // the verification stage ran on the worker's pixels
}

}  // namespace
}  // namespace hashwatch
