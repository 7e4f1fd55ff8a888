// CheckRows (catalog_verify.h): every stored hash parses, and the index that
// Catalog::Open builds holds exactly the matchable ones.
//
// The expectations are worked out here from the rows themselves, independently
// of LoadCatalog and IndexBatch (which built the index being checked): an
// open case's PDQ hash whose quality is unknown or at least the minimum is
// matchable; a withdrawn case's never is.
#include <cstring>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "catalog/catalog_loader.h"
#include "catalog/catalog_store.h"
#include "catalog/catalog_verify.h"
#include "hashwatch/signal_type.h"
#include "index/index_hit.h"
#include "signals/embedding_blob.h"
#include "signals/local_features.h"

namespace hashwatch::catalog {
namespace {

bool IsPdqType(const std::string& type) {
  return type == "pdq" || type == kViewSignalType;
}

// Why a stored hash is not a value of its type; empty when it is one.
std::string HashProblem(const std::string& type, absl::Span<const uint8_t> hash) {
  if (IsPdqType(type)) {
    if (hash.size() == kPdqCodeBytes) return "";
    return absl::StrCat("the hash is ", hash.size(), " bytes long; a PDQ hash is ", kPdqCodeBytes);
  }
  if (type == kLocalFeaturesType) {
    absl::StatusOr<signals::LocalFeatures> f = signals::ParseLocalFeatures(hash);
    if (!f.ok()) return std::string(f.status().message());
    if (f->points.size() > static_cast<size_t>(signals::kMaxFeatures)) {
      return absl::StrCat("local features: ", f->points.size(),
                          " keypoints; hashwatch stores at most ", signals::kMaxFeatures);
    }
    return "";
  }
  if (type == signals::kEmbeddingSignalType) {
    absl::StatusOr<signals::StoredEmbedding> e = signals::UnpackEmbedding(hash);
    return e.ok() ? "" : std::string(e.status().message());
  }
  const SignalType* known = FindSignalType(type);
  if (known == nullptr) return "a signal type this hashwatch does not know";
  if (hash.size() == known->hash_size()) return "";
  return absl::StrCat("the hash is ", hash.size(), " bytes long; a ", type, " hash is ",
                      known->hash_size());
}

std::string Unreadable(absl::string_view what, const absl::Status& status) {
  return absl::StrCat("could not read ", what, ": ", status.message());
}

// Which case each item belongs to, by item id (items are dense rowids).
class ItemCases {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  uint32_t AddCase(std::string id, bool withdrawn) {
    const auto [it, added] = numbers_.try_emplace(id, static_cast<uint32_t>(ids_.size()));
    if (added) {
      ids_.push_back(std::move(id));
      withdrawn_.push_back(withdrawn);
    }
    return it->second;
  }
  std::optional<uint32_t> FindCase(const std::string& id) const {
    auto it = numbers_.find(id);
    return it == numbers_.end() ? std::nullopt : std::optional<uint32_t>(it->second);
  }
  void Resize(int64_t max_item) { item_case_.assign(static_cast<size_t>(max_item) + 1, kNone); }
  void SetItem(int64_t item, uint32_t number) {
    if (item >= 0 && static_cast<size_t>(item) < item_case_.size()) {
      item_case_[static_cast<size_t>(item)] = number;
    }
  }
  uint32_t CaseOf(int64_t item) const {
    return item >= 0 && static_cast<size_t>(item) < item_case_.size()
               ? item_case_[static_cast<size_t>(item)]
               : kNone;
  }
  const std::string& id(uint32_t number) const { return ids_[number]; }
  bool withdrawn(uint32_t number) const { return withdrawn_[number]; }

 private:
  absl::flat_hash_map<std::string, uint32_t> numbers_;
  std::vector<std::string> ids_;
  std::vector<bool> withdrawn_;
  std::vector<uint32_t> item_case_;
};

std::string StateName(bool withdrawn) {
  return withdrawn ? "withdrawn" : "open";
}

void ReadCases(SqliteDb* db, ItemCases* cases, ProblemList* problems, VerifyReport* report) {
  absl::StatusOr<SqliteStatement> q = db->Prepare("SELECT id, status FROM cases");
  absl::Status s = q.ok() ? q->ForEachRow([&] {
    cases->AddCase(q->Text(0), q->Text(1) == "withdrawn");
    ++report->cases;
    return absl::OkStatus();
  })
                          : q.status();
  if (!s.ok()) problems->Add(Unreadable("the cases", s));
}

void ReadItems(SqliteDb* db, const BuiltIndex* built, ItemCases* cases, ProblemList* problems,
               VerifyReport* report) {
  // The same bounds as the loader's: ids the in-memory tables cannot hold
  // are a problem to report, not an allocation to attempt.
  absl::StatusOr<int64_t> max_item = CheckedMaxItemId(db);
  if (!max_item.ok()) {
    problems->Add(absl::IsDataLoss(max_item.status()) ? std::string(max_item.status().message())
                                                      : Unreadable("the items", max_item.status()));
    return;
  }
  cases->Resize(*max_item);
  absl::StatusOr<SqliteStatement> q = db->Prepare("SELECT id, case_id FROM items");
  absl::Status s = q.ok() ? q->ForEachRow([&] {
    ++report->items;
    const int64_t item = q->Int(0);
    const std::string case_id = q->Text(1);
    // An item of an unknown case is foreign_key_check's to report.
    const std::optional<uint32_t> number = cases->FindCase(case_id);
    if (!number.has_value()) return absl::OkStatus();
    cases->SetItem(item, *number);
    if (built == nullptr) return absl::OkStatus();
    const bool withdrawn = cases->withdrawn(*number);
    const std::optional<CaseDirectory::Owner> owner = built->directory->Lookup(item);
    if (!owner.has_value()) {
      problems->Add(absl::StrCat("item ", item, " (case ", case_id,
                                 ") is missing from the index's item directory"));
    } else if (owner->case_id != case_id || owner->withdrawn != withdrawn) {
      problems->Add(absl::StrCat("the index's item directory puts item ", item, " in case ",
                                 owner->case_id, " (", StateName(owner->withdrawn),
                                 "); the items table in case ", case_id, " (", StateName(withdrawn),
                                 ")"));
    }
    return absl::OkStatus();
  })
                          : q.status();
  if (!s.ok()) problems->Add(Unreadable("the items", s));
}

// What the index should hold, counted from the rows.
struct Expected {
  int64_t images = 0, views = 0, frames = 0;
  absl::flat_hash_set<int64_t> embedding_items;
  size_t embedding_dimension = 0;
};

// One parsed signal row checked against the built index.
void CheckIndexed(const RowCheckOptions& options, const BuiltIndex& built, const ItemCases& cases,
                  int64_t signal, int64_t item, const std::string& type,
                  absl::Span<const uint8_t> hash, bool trusted, std::optional<double> frame_time,
                  Expected* expected, ProblemList* problems) {
  const uint32_t number = cases.CaseOf(item);
  if (number == ItemCases::kNone) return;  // foreign_key_check reports it
  const bool withdrawn = cases.withdrawn(number);
  const std::string where =
      absl::StrCat("signal ", signal, " (", type, ") of item ", item, " (case ", cases.id(number),
                   ", ", StateName(withdrawn), ")");
  if (type == signals::kEmbeddingSignalType) {
    if (options.embedding_model == 0 || withdrawn || !trusted) return;
    absl::StatusOr<signals::StoredEmbedding> e = signals::UnpackEmbedding(hash);
    if (!e.ok() || e->model != options.embedding_model) return;
    // The index takes the dimension of the first vector it is given.
    if (expected->embedding_dimension == 0) expected->embedding_dimension = e->vector.size();
    if (e->vector.size() == expected->embedding_dimension) expected->embedding_items.insert(item);
    return;
  }
  if (!IsPdqType(type)) return;
  const PdqHome home = PdqHomeOf(type == kViewSignalType, frame_time.has_value());
  const bool view = home == PdqHome::kViews;
  const bool frame = home == PdqHome::kFrames;
  const PdqIndex& index =
      view ? built.indexes->views : (frame ? built.indexes->frames : built.indexes->images);
  // Frames are indexed under their signal id, images and views under the item.
  uint8_t code[kPdqCodeBytes];
  const bool present = index.FindCode(frame ? signal : item, code);
  if (withdrawn) {
    if (present) problems->Add(absl::StrCat(where, ": the index holds it; it must not match"));
    return;
  }
  if (!trusted) {
    // Below the quality minimum: stored, never matched. (Only frames are
    // indexed under their own id; an image's id may have other hashes.)
    if (frame && present) {
      problems->Add(absl::StrCat(where, ": its quality is below ", options.index_min_quality,
                                 ", yet the index holds it"));
    }
    return;
  }
  ++(view ? expected->views : (frame ? expected->frames : expected->images));
  if (!present) {
    problems->Add(absl::StrCat(where, ": matchable, but the index does not hold it"));
    return;
  }
  if (!frame) return;
  if (std::memcmp(code, hash.data(), kPdqCodeBytes) != 0) {
    problems->Add(absl::StrCat(where, ": the index holds another hash for this frame"));
  }
  const std::optional<FrameRef> ref = built.indexes->frame_directory.Lookup(signal);
  if (!ref.has_value() || ref->item != item) {
    problems->Add(absl::StrCat(where, ": the frame directory does not place it in item ", item));
  }
}

void CompareSize(absl::string_view what, size_t indexed, int64_t expected, ProblemList* problems) {
  if (static_cast<int64_t>(indexed) == expected) return;
  problems->Add(absl::StrCat("the index holds ", indexed, " ", what, "; the signals table has ",
                             expected, " matchable ones"));
}

}  // namespace

void CheckRows(SqliteDb* db, const RowCheckOptions& options, const BuiltIndex* built,
               ProblemList* problems, VerifyReport* report) {
  ItemCases cases;
  ReadCases(db, &cases, problems, report);
  ReadItems(db, built, &cases, problems, report);

  Expected expected;
  absl::StatusOr<SqliteStatement> q =
      db->Prepare("SELECT id, item_id, type, hash, quality, frame_time FROM signals");
  absl::Status s = q.ok() ? q->ForEachRow([&] {
    ++report->signals;
    const int64_t signal = q->Int(0);
    const int64_t item = q->Int(1);
    const std::string type = q->Text(2);
    const absl::Span<const uint8_t> hash = q->Blob(3);
    const std::string why = HashProblem(type, hash);
    if (!why.empty()) {
      problems->Add(absl::StrCat("signal ", signal, " (", type, ") of item ", item, ": ", why));
      return absl::OkStatus();
    }
    if (built == nullptr) return absl::OkStatus();
    const bool trusted = q->IsNull(4) || q->Int(4) >= options.index_min_quality;
    const std::optional<double> frame_time =
        q->IsNull(5) ? std::nullopt : std::optional<double>(q->Double(5));
    CheckIndexed(options, *built, cases, signal, item, type, hash, trusted, frame_time, &expected,
                 problems);
    return absl::OkStatus();
  })
                          : q.status();
  if (!s.ok()) problems->Add(Unreadable("the signals", s));

  absl::StatusOr<int64_t> audit = db->QueryInt("SELECT count(*) FROM audit_log");
  if (audit.ok()) {
    report->audit_entries = *audit;
  } else {
    problems->Add(Unreadable("the audit log", audit.status()));
  }

  if (built == nullptr || !s.ok()) return;
  const CatalogIndexes& indexes = *built->indexes;
  CompareSize("image hashes", indexes.images.size(), expected.images, problems);
  CompareSize("hashes of stored views", indexes.views.size(), expected.views, problems);
  CompareSize("video frame hashes", indexes.frames.size(), expected.frames, problems);
  if (options.embedding_model != 0) {
    CompareSize("embeddings", indexes.embeddings.size(),
                static_cast<int64_t>(expected.embedding_items.size()), problems);
  }
  report->indexed_hashes =
      static_cast<int64_t>(indexes.images.size() + indexes.views.size() + indexes.frames.size());
  report->indexed_embeddings = static_cast<int64_t>(indexes.embeddings.size());
}

}  // namespace hashwatch::catalog
