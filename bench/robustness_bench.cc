// hashwatch-bench robustness: how many edited copies of known photos each
// method finds, per kind of edit, at the distance threshold where precision
// over all pairs is >= 99.99% (Thorn's `perception` benchmark method,
// design.md section 4 "Robustness methodology").
//
// Setup:
//  - References: the JPEG/PNG files under --corpus (recursively, sorted by
//    path; other files such as MANIFEST.tsv are skipped), read with
//    cv::imread (EXIF orientation applied) and downscaled with INTER_AREA so
//    that the longer side is at most --max-side (default 1024: the size
//    photos are shared at, and it keeps a full run under an hour). The
//    downscaled pixels are what is enrolled (as PNG, level 1) and what every
//    transform starts from. Exact duplicates are dropped.
//  - Queries: every transform (robustness_transforms.h) of every reference,
//    encoded in memory (JPEG for the jpeg transforms, PNG level 1
//    otherwise); and every distractor (--distractors, loaded likewise,
//    queried untransformed as PNG), which has no reference: all its pairs are
//    false.
//  - Methods (--methods): each scores (query, reference) pairs by distance.
//    "pdq", "hw_*": a Catalog (default CatalogOptions) holding every
//    reference, queried with MatchBytes at the MatchOptions listed in
//    AllMethods(); methods that search no query views ("pdq",
//    "hw_dihedral") query the same file opened with no query views, so they
//    are not timed hashing views they never search; "phash": OpenCV's
//    img_hash::PHash of the decoded query,
//    brute force against every reference (64 bits).
//  - Threshold per method: for t = 0..the method's largest reported
//    distance, predicted = pairs with distance <= t, plus every pair whose
//    stage is "verified" (decided by local features, not the distance);
//    precision = true predicted / predicted (1 when none). The largest t with
//    precision >= 99.99% is chosen; recall per transform is the share of its
//    queries whose own reference is predicted at t.
//  - Cost: each Score call (MatchBytes, or PHash decode + hash + search; not
//    the transform or the encoding) is timed on its own: wall clock and the
//    calling thread's CPU time. Queries run on --threads threads (default 2),
//    so on a 2-core machine wall and CPU agree unless the machine is busy.
// Results: docs/robustness.md.
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/img_hash.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench_commands.h"
#include "catalog/embedding_index.h"
#include "hashwatch/catalog.h"
#include "hashwatch/embedding.h"
#include "hashwatch/image_hasher.h"
#include "measure.h"
#include "robustness_chart.h"
#include "robustness_transforms.h"
#include "signals/embedding_whitening.h"

namespace hashwatch::bench {
namespace {

constexpr double kTargetPrecision = 0.9999;

struct CorpusImage {
  std::string name;  // path relative to its directory
  cv::Mat image;     // 8-bit BGR, longer side <= --max-side
};

// Images seen so far, by their pixels, to drop exact duplicates (within the
// corpus, and distractors that are references).
class SeenPixels {
 public:
  // The name of an earlier image with the same pixels; else remembers this
  // one and returns nullptr.
  const std::string* FindOrAdd(const cv::Mat& image, const std::string& name) {
    const size_t h = std::hash<std::string_view>()(std::string_view(
        reinterpret_cast<const char*>(image.data), image.total() * image.elemSize()));
    for (auto [it, end] = seen_.equal_range(h); it != end; ++it) {
      const cv::Mat& other = it->second.first;
      if (other.size() == image.size() &&
          std::memcmp(other.data, image.data, image.total() * image.elemSize()) == 0) {
        return &it->second.second;
      }
    }
    seen_.emplace(h, std::make_pair(image, name));  // shares the pixels
    return nullptr;
  }

 private:
  std::multimap<size_t, std::pair<cv::Mat, std::string>> seen_;
};

// Loads the JPEG/PNG files under `dir` (sorted; the first `limit` when > 0).
std::vector<CorpusImage> LoadImages(const std::string& dir, int limit, int max_side,
                                    SeenPixels* seen) {
  std::vector<std::filesystem::path> paths;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    std::string ext = e.path().extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
    if (e.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png")) {
      paths.push_back(e.path());
    }
  }
  if (ec) std::fprintf(stderr, "robustness: %s: %s\n", dir.c_str(), ec.message().c_str());
  std::sort(paths.begin(), paths.end());
  std::vector<CorpusImage> images;
  for (const auto& p : paths) {
    if (limit > 0 && static_cast<int>(images.size()) >= limit) break;
    CorpusImage c{.name = p.lexically_relative(dir).string(), .image = {}};
    c.image = cv::imread(p.string(), cv::IMREAD_COLOR);
    if (c.image.empty()) {
      std::fprintf(stderr, "robustness: %s: cannot decode, skipped\n", p.c_str());
      continue;
    }
    const int side = std::max(c.image.cols, c.image.rows);
    if (side > max_side) {
      const double s = static_cast<double>(max_side) / side;
      cv::resize(c.image, c.image, cv::Size(), s, s, cv::INTER_AREA);
    }
    c.image = c.image.clone();  // continuous
    if (const std::string* earlier = seen->FindOrAdd(c.image, p.string())) {
      std::fprintf(stderr, "robustness: %s: same pixels as %s, skipped\n", p.c_str(),
                   earlier->c_str());
      continue;
    }
    images.push_back(std::move(c));
  }
  return images;
}

// ---------------------------------------------------------------------------
// Methods
// ---------------------------------------------------------------------------

// One (query, reference) pair a method scored.
struct ScoredPair {
  int ref = 0;  // corpus index
  int distance = 0;
  bool verified = false;  // decided by local features, whatever the distance
  std::string stage;
  int inliers = 0;
};

struct QueryScores {
  bool low_quality = false;
  std::vector<ScoredPair> pairs;
};

// A way of finding copies. Score must be safe to call from many threads.
class Method {
 public:
  virtual ~Method() = default;
  // The largest distance it reports (farther pairs are left out): the
  // candidate thresholds are 0..max_distance().
  virtual int max_distance() const = 0;
  virtual absl::Status Score(absl::Span<const uint8_t> query, QueryScores* out) const = 0;
};

// What methods are built over: the references, and the catalog holding them.
struct References {
  const std::vector<CorpusImage>* images = nullptr;
  const Catalog* catalog = nullptr;
  const absl::flat_hash_map<ItemId, int>* ref_of_item = nullptr;
  // The same catalog file opened to hash queries whole only (no views): what
  // methods that search no views are timed with, so plain PDQ's cost is
  // decode + one PDQ + search, not the views it would not look at.
  const Catalog* viewless_catalog = nullptr;
  // The same references in a catalog with the embedding signal on (only
  // when a method needs it: every query to it is embedded too).
  const Catalog* embedding_catalog = nullptr;
  const absl::flat_hash_map<ItemId, int>* embedding_ref_of_item = nullptr;
  std::shared_ptr<const EmbeddingModel> model;
};

class CatalogMethod final : public Method {
 public:
  CatalogMethod(const References& refs, MatchOptions options, bool embedding)
      : catalog_(embedding ? *refs.embedding_catalog
                 : !options.query_views && refs.viewless_catalog != nullptr ? *refs.viewless_catalog
                                                                            : *refs.catalog),
        ref_of_item_(embedding ? *refs.embedding_ref_of_item : *refs.ref_of_item),
        options_(options) {}
  int max_distance() const override { return options_.threshold; }
  absl::Status Score(absl::Span<const uint8_t> query, QueryScores* out) const override {
    absl::StatusOr<MatchResult> m = catalog_.MatchBytes(query, options_);
    if (!m.ok()) return m.status();
    out->low_quality = m->low_quality;
    for (const Match& x : m->matches) {
      auto it = ref_of_item_.find(x.item);
      if (it == ref_of_item_.end()) continue;
      out->pairs.push_back({.ref = it->second,
                            .distance = x.distance,
                            .verified = x.stage == "verified",
                            .stage = x.stage,
                            .inliers = x.inliers});
    }
    return absl::OkStatus();
  }

 private:
  const Catalog& catalog_;
  const absl::flat_hash_map<ItemId, int>& ref_of_item_;
  MatchOptions options_;
};

// OpenCV's 64-bit DCT hash (img_hash::PHash) of the decoded query against
// every reference's.
class PhashMethod final : public Method {
 public:
  explicit PhashMethod(const References& refs) {
    for (const CorpusImage& c : *refs.images) hashes_.push_back(Hash(c.image));
  }
  int max_distance() const override { return 64; }
  absl::Status Score(absl::Span<const uint8_t> query, QueryScores* out) const override {
    const cv::Mat buf(1, static_cast<int>(query.size()), CV_8U, const_cast<uint8_t*>(query.data()));
    const cv::Mat img = cv::imdecode(buf, cv::IMREAD_COLOR);
    if (img.empty()) return absl::InvalidArgumentError("cannot decode the query");
    const uint64_t h = Hash(img);
    out->pairs.reserve(hashes_.size());
    for (size_t i = 0; i < hashes_.size(); ++i) {
      out->pairs.push_back({.ref = static_cast<int>(i),
                            .distance = std::popcount(h ^ hashes_[i]),
                            .verified = false,
                            .stage = "phash",
                            .inliers = 0});
    }
    return absl::OkStatus();
  }

 private:
  static uint64_t Hash(const cv::Mat& img) {
    thread_local cv::Ptr<cv::img_hash::PHash> phash = cv::img_hash::PHash::create();  // has state
    cv::Mat hash;
    phash->compute(img, hash);
    uint64_t v = 0;
    std::memcpy(&v, hash.ptr<uint8_t>(0), sizeof(v));
    return v;
  }
  std::vector<uint64_t> hashes_;
};

// The embedding alone: the cosine of the query's embedding with every
// reference's, as a distance round((1 - cosine) * 500) (0..1000), no
// verification; whitened as a catalog of these references whitens them
// (catalog/embedding_index.h).
class EmbeddingMethod final : public Method {
 public:
  explicit EmbeddingMethod(const References& refs) {
    HashOptions o;
    o.embedding = refs.model;
    hasher_ = std::make_unique<ImageHasher>(*ImageHasher::Create(o));
    for (const CorpusImage& c : *refs.images) {
      absl::StatusOr<std::vector<uint8_t>> png = EncodeImage(c.image, 0);
      absl::StatusOr<ImageSignals> s =
          png.ok() ? hasher_->HashBytes(*png) : absl::StatusOr<ImageSignals>(png.status());
      vectors_.push_back(s.ok() ? s->embedding : std::vector<float>());
    }
    const int d = refs.model->dimension();
    std::vector<float> rows;
    for (const auto& v : vectors_) {
      if (static_cast<int>(v.size()) == d) rows.insert(rows.end(), v.begin(), v.end());
    }
    const size_t n = rows.size() / static_cast<size_t>(d);
    if (n >= catalog::kMinWhitening) {
      absl::StatusOr<signals::EmbeddingWhitening> w = signals::EmbeddingWhitening::Learn(
          rows, d, std::min<int>({catalog::kWhitenedDimensions, static_cast<int>(n / 2), d}),
          catalog::kWhiteningPower);
      if (w.ok()) {
        whitening_.emplace(*std::move(w));
        for (auto& v : vectors_) {
          if (static_cast<int>(v.size()) == d) v = whitening_->Apply(v);
        }
      }
    }
  }
  int max_distance() const override { return 1000; }
  absl::Status Score(absl::Span<const uint8_t> query, QueryScores* out) const override {
    absl::StatusOr<ImageSignals> s = hasher_->HashBytes(query);
    if (!s.ok()) return s.status();
    const std::vector<float> q =
        whitening_.has_value() ? whitening_->Apply(s->embedding) : s->embedding;
    for (size_t i = 0; i < vectors_.size(); ++i) {
      if (vectors_[i].size() != q.size()) continue;
      double dot = 0;
      for (size_t k = 0; k < vectors_[i].size(); ++k) dot += vectors_[i][k] * q[k];
      const int d = static_cast<int>(std::lround((1 - dot) * 500));
      out->pairs.push_back({.ref = static_cast<int>(i),
                            .distance = std::clamp(d, 0, 1000),
                            .verified = false,
                            .stage = "embedding",
                            .inliers = 0});
    }
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<ImageHasher> hasher_;
  std::vector<std::vector<float>> vectors_;
  std::optional<signals::EmbeddingWhitening> whitening_;
};

struct MethodSpec {
  std::string name;
  std::string description;
  bool uses_catalog = false;
  // The threshold the method is used at in practice (PDQ: 31, StopNCII and
  // HMA; pHash: 10), reported beside the benchmark's own.
  int usual_threshold = 0;
  std::function<std::unique_ptr<Method>(const References&)> make;
  bool uses_embedding = false;  // needs the embedding model
};

// The methods, in report order. Add one here.
std::vector<MethodSpec> AllMethods() {
  auto catalog = [](int threshold, bool dihedral, bool query_views, bool stored_views, bool verify,
                    bool embedding = false) {
    MatchOptions o;  // defaults for everything not named here
    o.threshold = threshold;
    o.dihedral = dihedral;
    o.query_views = query_views;
    o.stored_views = stored_views;
    o.verify = verify;
    o.embedding = embedding;
    return [o, embedding](const References& r) -> std::unique_ptr<Method> {
      return std::make_unique<CatalogMethod>(r, o, embedding);
    };
  };
  return {
      {"pdq", "PDQ of the whole query only (MatchBytes, no dihedral/views/verify), t <= 128", true,
       31, catalog(128, false, false, false, false)},
      {"phash", "OpenCV img_hash::PHash (64 bits), brute force", false, 10,
       [](const References& r) -> std::unique_ptr<Method> {
         return std::make_unique<PhashMethod>(r);
       }},
      {"hw_dihedral", "MatchBytes: + 8 dihedral variants, t <= 128", true, 31,
       catalog(128, true, false, false, false)},
      {"hw_views", "MatchBytes: + query and stored views, t <= 128", true, 31,
       catalog(128, true, true, true, false)},
      {"hw_verify", "MatchBytes: dihedral + query views + verification, no stored views, t <= 31",
       true, 31, catalog(MatchOptions().threshold, true, true, false, true)},
      {"hw_full", "MatchBytes defaults (+ verification), t <= 31", true, 31,
       catalog(MatchOptions().threshold, true, true, true, true)},
      {"embedding",
       "the embedding alone: cosine with every reference, no verification; distance = "
       "(1 - cosine) x 500, usual threshold cosine 0.8",
       false, 100,
       [](const References& r) -> std::unique_ptr<Method> {
         return std::make_unique<EmbeddingMethod>(r);
       },
       true},
      {"hw_embed", "MatchBytes defaults + embedding candidates (verified), t <= 31", true, 31,
       catalog(MatchOptions().threshold, true, true, true, true, true), true},
  };
}

// ---------------------------------------------------------------------------
// Running the queries
// ---------------------------------------------------------------------------

// One query: a transform of a reference, or a distractor as it is.
struct QueryUnit {
  int image = 0;       // corpus index, or distractor index
  int transform = -1;  // index into the transforms run; -1: a distractor
  int shown = -1;      // another reference the query also shows (screenshot), or -1
};

// What one method made of one query.
struct QueryRecord {
  bool error = false;
  bool low_quality = false;
  // The pair with the query's own reference; distance -1: not reported.
  int true_distance = -1;
  bool true_verified = false;
  std::string true_stage;
  int true_inliers = 0;
  // The false pair predicted first (verified, else nearest).
  int false_ref = -1, false_distance = -1;
  bool false_verified = false;
  std::string false_stage;
  // The pair with QueryUnit::shown (neither true nor false); -1: not reported.
  int shown_distance = -1;
  bool shown_verified = false;
  double wall_ms = 0, cpu_ms = 0;
};

// False pairs by distance (verified ones apart), per method, per thread.
struct FalseTally {
  std::vector<int64_t> hist, distractor_hist;
  int64_t verified = 0, distractor_verified = 0;
  int64_t pairs = 0;
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

void RecordScores(const QueryScores& scores, int true_ref, int shown_ref, int max_distance,
                  QueryRecord* r, FalseTally* tally) {
  r->low_quality = scores.low_quality;
  for (const ScoredPair& p : scores.pairs) {
    if (p.ref == shown_ref) {
      r->shown_distance = p.distance;
      r->shown_verified = p.verified;
      continue;
    }
    if (p.ref == true_ref) {
      if (r->true_distance < 0 || p.verified < r->true_verified ||
          (p.verified == r->true_verified && p.distance < r->true_distance)) {
        r->true_distance = p.distance;
        r->true_verified = p.verified;
        r->true_stage = p.stage;
        r->true_inliers = p.inliers;
      }
      continue;
    }
    ++tally->pairs;
    const bool distractor = true_ref < 0;
    if (p.verified) {
      ++(distractor ? tally->distractor_verified : tally->verified);
    } else if (p.distance <= max_distance) {
      ++(distractor ? tally->distractor_hist : tally->hist)[p.distance];
    }
    const bool first = r->false_ref < 0 || (p.verified && !r->false_verified) ||
                       (p.verified == r->false_verified && p.distance < r->false_distance);
    if (first) {
      r->false_ref = p.ref;
      r->false_distance = p.distance;
      r->false_verified = p.verified;
      r->false_stage = p.stage;
    }
  }
}

// ---------------------------------------------------------------------------
// Threshold, recall and cost
// ---------------------------------------------------------------------------

struct MethodReport {
  std::string name, description;
  int max_distance = 0;
  int threshold = -1;  // -1: no threshold reached the target (only verified pairs predicted)
  bool target_reached = false;
  double precision = 1;
  int64_t true_predicted = 0, false_predicted = 0, distractor_false_predicted = 0;
  int64_t false_pairs_scored = 0;
  std::vector<int> queries, recalled;  // per transform
  int queries_all = 0, recalled_all = 0;
  int errors = 0, low_quality = 0;
  int shown_queries = 0, shown_found = 0;  // the screenshot's thumbnail, found at t
  // The same at MethodSpec::usual_threshold.
  int usual_threshold = 0;
  std::vector<int> usual_recalled;
  int usual_recalled_all = 0;
  double usual_precision = 1;
  int64_t usual_false_predicted = 0;
  std::map<std::string, int> recalled_by_stage;
  std::vector<double> precision_curve, recall_curve;  // by t
  std::vector<double> wall_ms, cpu_ms;                // per query
};

MethodReport Analyse(const MethodSpec& spec, int max_distance, size_t m,
                     const std::vector<QueryUnit>& units,
                     const std::vector<std::vector<QueryRecord>>& records,
                     const std::vector<std::vector<FalseTally>>& tallies, int n_transforms) {
  MethodReport rep{};
  rep.name = spec.name;
  rep.description = spec.description;
  rep.max_distance = max_distance;
  const size_t nd = static_cast<size_t>(max_distance) + 1;
  std::vector<int64_t> true_hist(nd), false_hist(nd);
  int64_t true_verified = 0, false_verified = 0;
  std::vector<int64_t> distractor_hist(nd);
  int64_t distractor_verified = 0;
  for (const std::vector<FalseTally>& per_thread : tallies) {
    const FalseTally& t = per_thread[m];
    for (size_t d = 0; d < nd; ++d) {
      false_hist[d] += t.hist[d] + t.distractor_hist[d];
      distractor_hist[d] += t.distractor_hist[d];
    }
    false_verified += t.verified + t.distractor_verified;
    distractor_verified += t.distractor_verified;
    rep.false_pairs_scored += t.pairs;
  }
  rep.queries.assign(n_transforms, 0);
  rep.recalled.assign(n_transforms, 0);
  for (size_t u = 0; u < units.size(); ++u) {
    const QueryRecord& r = records[u][m];
    rep.errors += r.error;
    rep.low_quality += r.low_quality;
    rep.wall_ms.push_back(r.wall_ms);
    rep.cpu_ms.push_back(r.cpu_ms);
    if (units[u].transform < 0 || r.true_distance < 0) continue;
    if (r.true_verified) {
      ++true_verified;
    } else if (r.true_distance <= max_distance) {
      ++true_hist[r.true_distance];
    }
  }
  int64_t queries_all = 0;
  for (const QueryUnit& q : units) queries_all += q.transform >= 0;
  // Precision and recall for every t; keep the largest t on target.
  int64_t tp = true_verified, fp = false_verified;
  auto precision = [](int64_t good, int64_t bad) {
    return good + bad == 0 ? 1.0 : static_cast<double>(good) / static_cast<double>(good + bad);
  };
  rep.precision = precision(tp, fp);
  for (size_t t = 0; t < nd; ++t) {
    tp += true_hist[t];
    fp += false_hist[t];
    const double p = precision(tp, fp);
    rep.precision_curve.push_back(p);
    rep.recall_curve.push_back(queries_all ? static_cast<double>(tp) / queries_all : 0);
    if (p >= kTargetPrecision) {
      rep.threshold = static_cast<int>(t);
      rep.precision = p;
      rep.target_reached = true;
    }
  }
  rep.target_reached = rep.target_reached || rep.precision >= kTargetPrecision;
  const int t = rep.threshold;
  auto predicted = [t](bool verified, int distance) {
    return distance >= 0 && (verified || distance <= t);
  };
  for (size_t u = 0; u < units.size(); ++u) {
    const QueryRecord& r = records[u][m];
    if (units[u].transform < 0) continue;
    ++rep.queries[units[u].transform];
    ++rep.queries_all;
    if (units[u].shown >= 0) {
      ++rep.shown_queries;
      rep.shown_found += predicted(r.shown_verified, r.shown_distance);
    }
    if (predicted(r.true_verified, r.true_distance)) {
      ++rep.recalled[units[u].transform];
      ++rep.recalled_all;
      ++rep.recalled_by_stage[r.true_stage];
    }
  }
  rep.usual_threshold = std::min(spec.usual_threshold, max_distance);
  rep.usual_recalled.assign(n_transforms, 0);
  for (size_t u = 0; u < units.size(); ++u) {
    const QueryRecord& r = records[u][m];
    if (units[u].transform < 0) continue;
    if (r.true_distance >= 0 && (r.true_verified || r.true_distance <= rep.usual_threshold)) {
      ++rep.usual_recalled[units[u].transform];
      ++rep.usual_recalled_all;
    }
  }
  rep.usual_precision = rep.precision_curve[rep.usual_threshold];
  rep.usual_false_predicted = false_verified;
  for (int d = 0; d <= rep.usual_threshold; ++d) rep.usual_false_predicted += false_hist[d];
  rep.true_predicted = rep.recalled_all;
  rep.false_predicted = false_verified;
  rep.distractor_false_predicted = distractor_verified;
  for (int d = 0; d <= t; ++d) {
    rep.false_predicted += false_hist[d];
    rep.distractor_false_predicted += distractor_hist[d];
  }
  return rep;
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double Percent(int a, int b) {
  return b ? 100.0 * a / b : 0;
}

// ---------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------

struct CatalogCost {
  bool built = false;
  int64_t items = 0, indexed_hashes = 0, not_indexed = 0, index_memory_bytes = 0, file_bytes = 0;
  std::vector<double> enrol_ms;
};

struct RunInfo {
  std::string command, corpus, distractors;
  int references = 0, distractor_count = 0, max_side = 0, threads = 0;
  int query_every = 1;  // only every Kth reference's edits and distractor queried
  std::vector<std::string> transforms;
  int64_t queries = 0;
  double query_wall_s = 0, make_query_ms_mean = 0;
  std::string embedding_note;  // the embedding catalog's costs, when built
};

std::string MarkdownReport(const RunInfo& info, const std::vector<MethodReport>& reps,
                           const CatalogCost& cat) {
  std::string md = "# hashwatch-bench robustness\n\n";
  absl::StrAppend(&md, "`", info.command, "`\n\n");
  absl::StrAppend(
      &md, info.references, " reference photos from ", info.corpus,
      " (longer side <= ", info.max_side, " px, INTER_AREA)",
      info.query_every > 1 ? absl::StrCat(", all enrolled, the edits of every ", info.query_every,
                                          "th queried (a sample)")
                           : "",
      ", ", info.transforms.size(), " transforms -> ", info.queries - info.distractor_count,
      " queries, plus ", info.distractor_count, " distractor queries",
      info.distractors.empty() ? "" : absl::StrCat(" from ", info.distractors),
      ". Cells: recall % at each method's threshold, the largest distance at which precision over "
      "all pairs >= 99.99% (pairs with stage \"verified\" always count as predicted; below "
      "10,000 true matches that allows no false pair at all); \"usual threshold\": the one used "
      "in practice (PDQ 31, pHash 10). Times: "
      "per call (MatchBytes, or PHash decode + hash + search; not the transform/encoding), wall "
      "and the calling thread's CPU, ",
      info.threads, " query threads.\n\n| transform |");
  for (const MethodReport& r : reps) absl::StrAppend(&md, " ", r.name, " |");
  md += "\n|---|";
  for (size_t i = 0; i < reps.size(); ++i) md += "---:|";
  md += "\n";
  char buf[64];
  auto row = [&](const std::string& label,
                 const std::function<std::string(const MethodReport&)>& f) {
    absl::StrAppend(&md, "| ", label, " |");
    for (const MethodReport& r : reps) absl::StrAppend(&md, " ", f(r), " |");
    md += "\n";
  };
  auto pct = [&buf](int a, int b) {
    std::snprintf(buf, sizeof(buf), "%.1f", Percent(a, b));
    return std::string(buf);
  };
  auto num = [&buf](const char* fmt, double v) {
    std::snprintf(buf, sizeof(buf), fmt, v);
    return std::string(buf);
  };
  for (size_t t = 0; t < info.transforms.size(); ++t) {
    row(info.transforms[t],
        [&](const MethodReport& r) { return pct(r.recalled[t], r.queries[t]); });
  }
  row("**overall**",
      [&](const MethodReport& r) { return "**" + pct(r.recalled_all, r.queries_all) + "**"; });
  row("threshold (max searched)",
      [&](const MethodReport& r) { return absl::StrCat(r.threshold, " (", r.max_distance, ")"); });
  row("precision", [&](const MethodReport& r) {
    return num("%.4f%%", 100 * r.precision) + (r.target_reached ? "" : " (below target)");
  });
  row("false matches (pairs)",
      [](const MethodReport& r) { return absl::StrCat(r.false_predicted); });
  row("of which distractor pairs",
      [](const MethodReport& r) { return absl::StrCat(r.distractor_false_predicted); });
  row("**overall at the usual threshold**", [&](const MethodReport& r) {
    return absl::StrCat("**", pct(r.usual_recalled_all, r.queries_all), "** (t=", r.usual_threshold,
                        ")");
  });
  row("precision / false matches there", [&](const MethodReport& r) {
    return absl::StrCat(num("%.2f%%", 100 * r.usual_precision), " / ", r.usual_false_predicted);
  });
  row("low-quality queries", [](const MethodReport& r) { return absl::StrCat(r.low_quality); });
  row("errors", [](const MethodReport& r) { return absl::StrCat(r.errors); });
  row("mean ms / query (wall)",
      [&](const MethodReport& r) { return num("%.2f", Mean(r.wall_ms)); });
  row("median ms / query (wall)",
      [&](const MethodReport& r) { return num("%.2f", Median(r.wall_ms)); });
  row("mean CPU ms / query", [&](const MethodReport& r) { return num("%.2f", Mean(r.cpu_ms)); });
  md += "\nTrue matches at the threshold, by the stage that found them:\n\n";
  for (const MethodReport& r : reps) {
    std::vector<std::string> parts;
    for (const auto& [stage, n] : r.recalled_by_stage) parts.push_back(absl::StrCat(stage, " ", n));
    absl::StrAppend(&md, "- ", r.name, ": ", absl::StrJoin(parts, ", "), "\n");
  }
  if (!reps.empty() && reps[0].shown_queries > 0) {
    std::vector<std::string> parts;
    for (const MethodReport& r : reps) {
      parts.push_back(absl::StrCat(r.name, " ", r.shown_found, "/", r.shown_queries));
    }
    absl::StrAppend(&md,
                    "\nScreenshots also show a thumbnail of the next reference; pairs with it are "
                    "left out of precision and recall. Found at the threshold: ",
                    absl::StrJoin(parts, ", "), ".\n");
  }
  if (cat.built) {
    absl::StrAppend(
        &md, "\nCatalog (default CatalogOptions): ", cat.items, " items, ",
        num("%.1f", cat.items ? static_cast<double>(cat.indexed_hashes) / cat.items : 0),
        " index entries per item, ", cat.not_indexed,
        " references not indexed (PDQ quality < 50), enrolment ", num("%.1f", Mean(cat.enrol_ms)),
        " ms mean / ", num("%.1f", Median(cat.enrol_ms)), " ms median per item, index ",
        num("%.1f", cat.index_memory_bytes / 1048576.0), " MiB, file ",
        num("%.1f", cat.file_bytes / 1048576.0), " MiB.\n");
  }
  md += info.embedding_note;
  absl::StrAppend(&md, "\nQuery phase: ", num("%.1f", info.query_wall_s), " s wall for ",
                  info.queries, " queries x ", reps.size(),
                  " methods; making a query (transform + ", "encoding) ",
                  num("%.1f", info.make_query_ms_mean), " ms mean.\n");
  return md;
}

nlohmann::ordered_json JsonReport(const RunInfo& info, const std::vector<MethodReport>& reps,
                                  const CatalogCost& cat, const std::vector<CorpusImage>& corpus,
                                  const std::vector<CorpusImage>& distractors,
                                  const std::vector<QueryUnit>& units,
                                  const std::vector<std::vector<QueryRecord>>& records,
                                  bool details) {
  nlohmann::ordered_json j;
  j["command"] = info.command;
  j["corpus"] = {{"dir", info.corpus}, {"images", info.references}, {"max_side", info.max_side}};
  j["distractors"] = {{"dir", info.distractors}, {"images", info.distractor_count}};
  j["transforms"] = info.transforms;
  j["queries"] = info.queries;
  j["threads"] = info.threads;
  j["target_precision"] = kTargetPrecision;
  j["query_phase_wall_seconds"] = info.query_wall_s;
  j["make_query_ms_mean"] = info.make_query_ms_mean;
  j["timing"] = "per Score call: wall clock and CLOCK_THREAD_CPUTIME_ID of the calling thread";
  if (cat.built) {
    j["catalog"] = {{"items", cat.items},
                    {"indexed_hashes", cat.indexed_hashes},
                    {"index_entries_per_item",
                     cat.items ? static_cast<double>(cat.indexed_hashes) / cat.items : 0},
                    {"not_indexed", cat.not_indexed},
                    {"index_memory_bytes", cat.index_memory_bytes},
                    {"file_bytes", cat.file_bytes},
                    {"enrol_ms_mean", Mean(cat.enrol_ms)},
                    {"enrol_ms_median", Median(cat.enrol_ms)}};
  }
  nlohmann::ordered_json methods = nlohmann::ordered_json::array();
  for (size_t m = 0; m < reps.size(); ++m) {
    const MethodReport& r = reps[m];
    nlohmann::ordered_json per_transform;
    for (size_t t = 0; t < info.transforms.size(); ++t) {
      per_transform[info.transforms[t]] = {
          {"queries", r.queries[t]},
          {"recalled", r.recalled[t]},
          {"recall", Percent(r.recalled[t], r.queries[t]) / 100},
          {"recalled_at_usual_threshold", r.usual_recalled[t]},
          {"recall_at_usual_threshold", Percent(r.usual_recalled[t], r.queries[t]) / 100}};
    }
    // The closest false pairs, for a look at what fools the method.
    std::vector<size_t> order;
    for (size_t u = 0; u < units.size(); ++u) {
      if (records[u][m].false_ref >= 0) order.push_back(u);
    }
    auto key = [&](size_t u) {
      return std::make_pair(!records[u][m].false_verified, records[u][m].false_distance);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return key(a) < key(b); });
    nlohmann::ordered_json closest = nlohmann::ordered_json::array();
    for (size_t i = 0; i < std::min<size_t>(20, order.size()); ++i) {
      const QueryRecord& q = records[order[i]][m];
      const QueryUnit& unit = units[order[i]];
      const bool distractor = unit.transform < 0;
      closest.push_back({{"query_image", (distractor ? distractors : corpus)[unit.image].name},
                         {"transform", distractor ? "distractor" : info.transforms[unit.transform]},
                         {"reference", corpus[q.false_ref].name},
                         {"distance", q.false_distance},
                         {"stage", q.false_stage}});
    }
    methods.push_back(
        {{"name", r.name},
         {"description", r.description},
         {"max_distance", r.max_distance},
         {"threshold", r.threshold},
         {"precision", r.precision},
         {"target_reached", r.target_reached},
         {"recall", Percent(r.recalled_all, r.queries_all) / 100},
         {"queries", r.queries_all},
         {"recalled", r.recalled_all},
         {"recalled_by_stage", r.recalled_by_stage},
         {"false_matches", r.false_predicted},
         {"usual_threshold", r.usual_threshold},
         {"recall_at_usual_threshold", Percent(r.usual_recalled_all, r.queries_all) / 100},
         {"precision_at_usual_threshold", r.usual_precision},
         {"false_matches_at_usual_threshold", r.usual_false_predicted},
         {"distractor_false_matches", r.distractor_false_predicted},
         {"false_pairs_scored", r.false_pairs_scored},
         {"thumbnail_queries", r.shown_queries},
         {"thumbnail_found", r.shown_found},
         {"low_quality_queries", r.low_quality},
         {"errors", r.errors},
         {"wall_ms_mean", Mean(r.wall_ms)},
         {"wall_ms_median", Median(r.wall_ms)},
         {"cpu_ms_mean", Mean(r.cpu_ms)},
         {"cpu_ms_median", Median(r.cpu_ms)},
         {"per_transform", per_transform},
         {"precision_by_threshold", r.precision_curve},
         {"recall_by_threshold", r.recall_curve},
         {"closest_false_pairs", closest}});
  }
  j["methods"] = methods;
  if (details) {
    // One row per query: per method, the true pair's distance (-1: not
    // reported), stage and inliers, and whether the query was low quality.
    nlohmann::ordered_json rows = nlohmann::ordered_json::array();
    for (size_t u = 0; u < units.size(); ++u) {
      const QueryUnit& unit = units[u];
      const bool distractor = unit.transform < 0;
      nlohmann::ordered_json row = {
          {"image", (distractor ? distractors : corpus)[unit.image].name},
          {"transform", distractor ? "distractor" : info.transforms[unit.transform]}};
      for (size_t m = 0; m < reps.size(); ++m) {
        const QueryRecord& q = records[u][m];
        row[reps[m].name] = {{"distance", q.true_distance},       {"stage", q.true_stage},
                             {"inliers", q.true_inliers},         {"low_quality", q.low_quality},
                             {"nearest_false", q.false_distance}, {"wall_ms", q.wall_ms}};
      }
      rows.push_back(std::move(row));
    }
    j["queries_detail"] = std::move(rows);
  }
  return j;
}

BarChart Chart(const RunInfo& info, const std::vector<MethodReport>& reps) {
  BarChart c;
  c.title = "Recall per transform at precision >= 99.99% (hashwatch-bench robustness)";
  std::string thresholds;
  for (const MethodReport& r : reps) absl::StrAppend(&thresholds, r.name, " t=", r.threshold, "  ");
  c.notes = {absl::StrCat(info.references, " photos (longer side <= ", info.max_side, " px), ",
                          info.queries - info.distractor_count, " edited queries, ",
                          info.distractor_count, " distractors"),
             "thresholds: " + thresholds};
  c.groups = info.transforms;
  c.groups.push_back("overall");
  for (const MethodReport& r : reps) {
    BarSeries s{.name = r.name, .values = {}};
    for (size_t t = 0; t < info.transforms.size(); ++t) {
      s.values.push_back(Percent(r.recalled[t], r.queries[t]));
    }
    s.values.push_back(Percent(r.recalled_all, r.queries_all));
    c.series.push_back(std::move(s));
  }
  return c;
}

bool WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.close();
  if (!out) std::fprintf(stderr, "robustness: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

}  // namespace

int RunRobustnessBench(int argc, char** argv) {
  CLI::App app{
      "Recall per kind of edit (crops, padding, rotations, JPEG, screenshots, ...) at the "
      "threshold where precision over all pairs is >= 99.99% (Thorn's perception benchmark "
      "method), for plain PDQ, OpenCV pHash and hashwatch's pipeline step by step. References "
      "are downscaled to --max-side before enrolment and before the edits."};
  app.name("hashwatch-bench robustness");
  std::string corpus_dir, distractor_dir, out_dir, json_path, embedding_model;
  int limit = 0, max_side = 1024, threads = 2, save_queries = 0, query_every = 1;
  bool details = false;
  std::vector<std::string> method_names, transform_names;
  app.add_option("--corpus", corpus_dir, "Reference photos (JPEG/PNG, recursively)")->required();
  app.add_option("--distractors", distractor_dir,
                 "Unrelated photos queried as they are: every pair they make is false");
  app.add_option("--out", out_dir, "Write robustness.md, robustness.json and robustness.png here");
  app.add_option("--limit", limit, "Use the first N files of each directory (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--query-every", query_every,
                 "Enrol every reference but query only every Kth reference's edits and every Kth "
                 "distractor (a quicker sample of the full catalog's cost and recall)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--max-side", max_side,
                 "Downscale (INTER_AREA) so the longer side is at most this many pixels")
      ->check(CLI::Range(32, 10000));
  std::vector<std::string> all_methods, all_transforms;
  for (const MethodSpec& s : AllMethods()) all_methods.push_back(s.name);
  for (const Transform& t : RobustnessTransforms()) all_transforms.push_back(t.name);
  app.add_option("--methods", method_names, "Methods to run, comma-separated (default all)")
      ->delimiter(',')
      ->check(CLI::IsMember(all_methods));
  app.add_option("--transforms", transform_names,
                 "Transforms to run, comma-separated (default all)")
      ->delimiter(',')
      ->check(CLI::IsMember(all_transforms));
  app.add_option("--json", json_path, "Also write the JSON results to this file");
  app.add_option("--embedding-model", embedding_model,
                 "Settings (model.json) of the embedding model the embedding methods use "
                 "(default: the one the set-up command made)");
  app.add_option("--threads", threads, "Threads running queries")->check(CLI::Range(1, 64));
  app.add_flag("--details", details, "Add every query's outcome per method to the JSON");
  app.add_option("--save-queries", save_queries,
                 "Also write the queries made from the first N references to OUT/queries/ "
                 "(to look at the transforms)")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  // Methods and transforms asked for.
  std::vector<MethodSpec> specs;
  for (MethodSpec& s : AllMethods()) {
    if (method_names.empty() ||
        std::find(method_names.begin(), method_names.end(), s.name) != method_names.end()) {
      specs.push_back(std::move(s));
    }
  }
  std::vector<const Transform*> transforms;
  for (const Transform& t : RobustnessTransforms()) {
    if (transform_names.empty() || std::find(transform_names.begin(), transform_names.end(),
                                             t.name) != transform_names.end()) {
      transforms.push_back(&t);
    }
  }

  if (save_queries > 0 && out_dir.empty()) {
    std::fprintf(stderr, "robustness: --save-queries needs --out\n");
    return 2;
  }
  const std::filesystem::path saved_dir = std::filesystem::path(out_dir) / "queries";
  if (save_queries > 0) std::filesystem::create_directories(saved_dir);
  cv::setNumThreads(0);  // parallelism is ours: --threads queries at a time
  RunInfo info;
  info.command = "hashwatch-bench";
  for (int i = 0; i < argc; ++i) absl::StrAppend(&info.command, " ", argv[i]);
  info.corpus = corpus_dir;
  info.distractors = distractor_dir;
  info.max_side = max_side;
  info.threads = threads;
  for (const Transform* t : transforms) info.transforms.push_back(t->name);

  SeenPixels seen;
  const std::vector<CorpusImage> corpus = LoadImages(corpus_dir, limit, max_side, &seen);
  const std::vector<CorpusImage> distractors =
      distractor_dir.empty() ? std::vector<CorpusImage>{}
                             : LoadImages(distractor_dir, limit, max_side, &seen);
  if (corpus.empty()) {
    std::fprintf(stderr, "robustness: no JPEG/PNG images under %s\n", corpus_dir.c_str());
    return 2;
  }
  info.references = static_cast<int>(corpus.size());
  info.distractor_count = static_cast<int>((distractors.size() + query_every - 1) / query_every);
  info.query_every = query_every;
  std::fprintf(stderr, "robustness: %zu references, %zu distractors\n", corpus.size(),
               distractors.size());

  // The catalogs methods use: every reference enrolled; a second one with
  // the embedding signal when a method needs it.
  CatalogCost cat, embedding_cat;
  std::unique_ptr<Catalog> catalog, embedding_catalog, viewless_catalog;
  absl::flat_hash_map<ItemId, int> ref_of_item, embedding_ref_of_item;
  std::shared_ptr<const EmbeddingModel> model;
  std::filesystem::path tmp;
  auto cleanup = [&] {
    catalog.reset();
    viewless_catalog.reset();
    embedding_catalog.reset();
    std::error_code ec;
    if (!tmp.empty()) std::filesystem::remove_all(tmp, ec);
  };
  const bool needs_embedding =
      std::any_of(specs.begin(), specs.end(), [](const MethodSpec& s) { return s.uses_embedding; });
  if (needs_embedding) {
    absl::StatusOr<std::shared_ptr<const EmbeddingModel>> loaded = EmbeddingModel::LoadSettings(
        embedding_model.empty() ? DefaultEmbeddingModelSettingsPath() : embedding_model);
    if (!loaded.ok()) {
      std::fprintf(stderr, "robustness: %s\n", loaded.status().ToString().c_str());
      return 2;
    }
    model = *std::move(loaded);
  }
  auto build = [&](const std::string& name, const CatalogOptions& options,
                   std::unique_ptr<Catalog>* out, absl::flat_hash_map<ItemId, int>* items,
                   CatalogCost* cost) -> bool {
    absl::StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open((tmp / name).string(), options);
    if (!opened.ok()) {
      std::fprintf(stderr, "robustness: %s\n", opened.status().ToString().c_str());
      return false;
    }
    *out = std::move(*opened);
    for (size_t i = 0; i < corpus.size(); ++i) {
      absl::StatusOr<std::vector<uint8_t>> png = EncodeImage(corpus[i].image, 0);
      if (!png.ok()) {
        std::fprintf(stderr, "robustness: %s: %s\n", corpus[i].name.c_str(),
                     png.status().ToString().c_str());
        continue;
      }
      const auto t0 = Clock::now();
      absl::StatusOr<EnrollResult> r = (*out)->EnrollBytes({.case_id = "robustness",
                                                            .label = "robustness bench",
                                                            .source_note = corpus[i].name,
                                                            .operator_name = "hashwatch-bench"},
                                                           *png);
      cost->enrol_ms.push_back(1e3 * Seconds(t0, Clock::now()));
      if (!r.ok()) {
        std::fprintf(stderr, "robustness: enrol %s: %s\n", corpus[i].name.c_str(),
                     r.status().ToString().c_str());
        continue;
      }
      items->emplace(r->item, static_cast<int>(i));
      cost->not_indexed += r->indexed ? 0 : 1;
    }
    // Queried as a scan would: reopened, so that what is learned at open (the
    // embedding's whitening, catalog/embedding_index.h) is learned from every
    // reference.
    out->reset();
    opened = Catalog::Open((tmp / name).string(), options);
    if (!opened.ok()) {
      std::fprintf(stderr, "robustness: reopen: %s\n", opened.status().ToString().c_str());
      return false;
    }
    *out = std::move(*opened);
    absl::StatusOr<CatalogStats> stats = (*out)->Stats();
    if (stats.ok()) {
      cost->built = true;
      cost->items = stats->items;
      cost->indexed_hashes = stats->indexed_hashes;
      cost->index_memory_bytes = stats->index_memory_bytes;
      cost->file_bytes = stats->file_bytes;
    }
    std::fprintf(stderr, "robustness: %s: enrolled %zu items (%.1f ms each, median)\n",
                 name.c_str(), items->size(), Median(cost->enrol_ms));
    return true;
  };
  const bool plain_catalog = std::any_of(specs.begin(), specs.end(), [](const MethodSpec& s) {
    return s.uses_catalog && !s.uses_embedding;
  });
  const bool with_embedding = std::any_of(specs.begin(), specs.end(), [](const MethodSpec& s) {
    return s.uses_catalog && s.uses_embedding;
  });
  if (plain_catalog || with_embedding) {
    std::string pattern = (std::filesystem::temp_directory_path() / "hashwatch-robustness-XXXXXX");
    if (mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "robustness: cannot create a temporary directory\n");
      return 2;
    }
    tmp = pattern;
  }
  if (plain_catalog && !build("catalog.db", CatalogOptions(), &catalog, &ref_of_item, &cat)) {
    cleanup();
    return 2;
  }
  if (plain_catalog) {
    CatalogOptions options;
    options.query_views = {};
    absl::StatusOr<std::unique_ptr<Catalog>> opened =
        Catalog::Open((tmp / "catalog.db").string(), options);
    if (!opened.ok()) {
      std::fprintf(stderr, "robustness: %s\n", opened.status().ToString().c_str());
      cleanup();
      return 2;
    }
    viewless_catalog = *std::move(opened);
  }
  if (with_embedding) {
    CatalogOptions options;
    options.embedding = model;
    if (!build("embedding.db", options, &embedding_catalog, &embedding_ref_of_item,
               &embedding_cat)) {
      cleanup();
      return 2;
    }
    const double plain_ms = cat.built ? Median(cat.enrol_ms) : 0;
    absl::StatusOr<CatalogStats> es = embedding_catalog->Stats();
    const std::string embedding_index = es.ok() ? es->embedding_index : "?";
    info.embedding_note = absl::StrCat(
        "\nCatalog with the embedding (", model->name(), ", ", model->dimension(),
        " dimensions, stored as float16: ", 12 + 2 * model->dimension(),
        " bytes per item): enrolment ", absl::StrFormat("%.1f", Median(embedding_cat.enrol_ms)),
        " ms median per item", cat.built ? absl::StrFormat(" (%.1f without)", plain_ms) : "",
        ", file ", absl::StrFormat("%.1f", embedding_cat.file_bytes / 1048576.0), " MiB; index ",
        embedding_index, ".\n");
  }
  const References refs{.images = &corpus,
                        .catalog = catalog.get(),
                        .ref_of_item = &ref_of_item,
                        .viewless_catalog = viewless_catalog.get(),
                        .embedding_catalog = embedding_catalog.get(),
                        .embedding_ref_of_item = &embedding_ref_of_item,
                        .model = model};
  std::vector<std::unique_ptr<Method>> methods;
  for (const MethodSpec& s : specs) methods.push_back(s.make(refs));

  // Queries: every transform of every reference, then the distractors.
  std::vector<QueryUnit> units;
  const int n_corpus = static_cast<int>(corpus.size());
  for (int i = 0; i < n_corpus; i += query_every) {
    for (int t = 0; t < static_cast<int>(transforms.size()); ++t) {
      const bool shows = transforms[t]->shows_other && n_corpus > 1;
      units.push_back({.image = i, .transform = t, .shown = shows ? (i + 1) % n_corpus : -1});
    }
  }
  for (int i = 0; i < static_cast<int>(distractors.size()); i += query_every) {
    units.push_back({.image = i, .transform = -1, .shown = -1});
  }
  info.queries = static_cast<int64_t>(units.size());
  std::vector<std::vector<QueryRecord>> records(units.size(),
                                                std::vector<QueryRecord>(methods.size()));
  std::vector<std::vector<FalseTally>> tallies(threads, std::vector<FalseTally>(methods.size()));
  for (auto& per_thread : tallies) {
    for (size_t m = 0; m < methods.size(); ++m) {
      per_thread[m].hist.assign(methods[m]->max_distance() + 1, 0);
      per_thread[m].distractor_hist.assign(methods[m]->max_distance() + 1, 0);
    }
  }
  std::vector<double> make_ms(units.size());
  std::atomic<size_t> next{0}, done{0};
  const auto start = Clock::now();
  auto worker = [&](int thread) {
    for (size_t u = next++; u < units.size(); u = next++) {
      const QueryUnit& q = units[u];
      const auto t0 = Clock::now();
      absl::StatusOr<std::vector<uint8_t>> bytes;
      if (q.transform < 0) {
        bytes = EncodeImage(distractors[q.image].image, 0);
      } else {
        const Transform& tr = *transforms[q.transform];
        const CorpusImage& c = corpus[q.image];
        const cv::Mat* other = q.shown >= 0 ? &corpus[q.shown].image : nullptr;
        try {
          const cv::Mat img = tr.apply({.image = &c.image,
                                        .other = other,
                                        .index = q.image,
                                        .seed = TransformSeed(c.name, tr.name)});
          bytes = EncodeImage(img, tr.jpeg_quality);
        } catch (const cv::Exception& e) {
          bytes = absl::InternalError(absl::StrCat(tr.name, ": ", e.what()));
        }
      }
      make_ms[u] = 1e3 * Seconds(t0, Clock::now());
      if (bytes.ok() && q.transform >= 0 && q.image < save_queries) {
        const Transform& tr = *transforms[q.transform];
        const std::string file =
            absl::StrCat(q.image, "_", tr.name, tr.jpeg_quality ? ".jpg" : ".png");
        std::ofstream(saved_dir / file, std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes->data()),
                   static_cast<std::streamsize>(bytes->size()));
      }
      for (size_t m = 0; m < methods.size(); ++m) {
        QueryRecord& r = records[u][m];
        if (!bytes.ok()) {
          r.error = true;
          continue;
        }
        QueryScores scores;
        const double cpu0 = ThreadCpuSeconds();
        const auto w0 = Clock::now();
        const absl::Status s = methods[m]->Score(*bytes, &scores);
        r.wall_ms = 1e3 * Seconds(w0, Clock::now());
        r.cpu_ms = 1e3 * (ThreadCpuSeconds() - cpu0);
        if (!s.ok()) {
          r.error = true;
          std::fprintf(stderr, "robustness: %s on query %zu: %s\n", specs[m].name.c_str(), u,
                       s.ToString().c_str());
          continue;
        }
        RecordScores(scores, q.transform < 0 ? -1 : q.image, q.shown, methods[m]->max_distance(),
                     &r, &tallies[thread][m]);
      }
      if (!bytes.ok()) {
        std::fprintf(stderr, "robustness: query %zu: %s\n", u, bytes.status().ToString().c_str());
      }
      const size_t n = ++done;
      if (n % 500 == 0 || n == units.size()) {
        const double s = Seconds(start, Clock::now());
        std::fprintf(stderr, "robustness: %zu / %zu queries, %.0f s, about %.0f s left\n", n,
                     units.size(), s, s / n * (units.size() - n));
      }
    }
  };
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(worker, i);
  for (std::thread& t : pool) t.join();
  info.query_wall_s = Seconds(start, Clock::now());
  info.make_query_ms_mean = Mean(make_ms);
  cleanup();

  std::vector<MethodReport> reps;
  for (size_t m = 0; m < methods.size(); ++m) {
    reps.push_back(Analyse(specs[m], methods[m]->max_distance(), m, units, records, tallies,
                           static_cast<int>(transforms.size())));
  }
  const std::string md = MarkdownReport(info, reps, cat);
  std::fputs(md.c_str(), stdout);
  const std::string json =
      JsonReport(info, reps, cat, corpus, distractors, units, records, details).dump(2) + "\n";
  bool ok = true;
  if (!json_path.empty()) ok &= WriteText(json_path, json);
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    const std::filesystem::path out(out_dir);
    ok &= WriteText(out / "robustness.md", md);
    ok &= WriteText(out / "robustness.json", json);
    try {
      ok &= cv::imwrite((out / "robustness.png").string(), DrawBarChart(Chart(info, reps)));
    } catch (const cv::Exception& e) {
      std::fprintf(stderr, "robustness: chart: %s\n", e.what());
      ok = false;
    }
  }
  return ok ? 0 : 1;
}

}  // namespace hashwatch::bench
