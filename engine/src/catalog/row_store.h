// RowStore: the catalog's rows behind one interface, whichever engine keeps
// them: an SQLite file (SqliteRowStore, sqlite_row_store.h) or a PostgreSQL
// server shared by many centres and scanners (PgRowStore, pg/pg_row_store.h).
// The Catalog holds the index, the hashers and the rules (what is indexed,
// when a case may be enrolled into); a RowStore stores, reads back and says
// what others changed. Both keep the same schema ideas (docs/catalog.md,
// docs/deployment.md): cases, items, signals (video frames included), an
// append-only audit log.
//
// Thread safety: a RowStore is one connection. Every call except
// LocalFeatures is made with the catalog's write mutex held; LocalFeatures is
// safe from any thread at any time (it reads on a connection of its own, so
// matchers never wait for writers).
#ifndef HASHWATCH_CATALOG_ROW_STORE_H_
#define HASHWATCH_CATALOG_ROW_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hashwatch::catalog {

struct CaseRow {
  std::string id;
  std::string label;
  std::string created;
  bool withdrawn = false;
  std::string withdrawn_at;  // empty while open
};

struct ItemRow {
  std::string case_id;
  std::string_view media_kind;       // "image", "video" or "hash"
  absl::Span<const uint8_t> sha256;  // empty: none (imported hashes)
  std::optional<int64_t> size;       // bytes of the enrolled file
  std::string enrolled_at;
  std::string source_note;
  std::optional<double> duration;         // videos: seconds
  std::optional<double> sample_interval;  // videos: seconds between samples
};

struct SignalRow {
  int64_t item = 0;
  std::string_view type;             // "pdq"
  std::optional<double> frame_time;  // seconds into a video; none for images
  absl::Span<const uint8_t> hash;
  std::optional<int64_t> quality;  // none: unknown
  // Video frames: the run's last sampled moment, its samples and the decoded
  // frame number at frame_time.
  std::optional<double> frame_end;
  std::optional<int64_t> frame_samples;
  std::optional<int64_t> frame_number;
};

// A stored signal of an indexed type (kIndexedTypes), as the indexes take it
// (IndexBatch::AddRow). The views are valid during the callback only.
struct IndexedRowView {
  int64_t signal = 0;
  int64_t item = 0;
  absl::Span<const uint8_t> hash;
  std::optional<double> frame_time;
  std::optional<double> frame_end;
  std::optional<int64_t> frame_samples;
  std::string_view type;
};

// The signal types that feed the indexes: an image's or frame's own PDQ,
// the PDQ of a stored view of an image (signals/image_views.h) and an image's
// embedding (signals/embedding_blob.h).
inline constexpr char kViewSignalType[] = "pdq_view";
// An enrolled image's local features (signals/local_features.h); not indexed.
inline constexpr char kLocalFeaturesType[] = "orb";

// Where a reader is in the stream of others' changes. Its meaning is the
// store's: SQLite's data_version and the largest item and signal ids read;
// the server's last change number.
struct ChangeCursor {
  int64_t version = -1;
  int64_t max_item = 0;
  int64_t max_signal = 0;
};

// What ReadChanges found, before the new items' signals are streamed.
struct RowChanges {
  // Cases the reader may not know in their present state: new ones, and
  // ones withdrawn since the cursor (SQLite lists them all).
  std::vector<std::pair<std::string, bool>> cases;  // id, withdrawn
  // Items added since the cursor, with their case.
  std::vector<std::pair<int64_t, std::string>> items;
  ChangeCursor next;  // the cursor after these changes
};

// Row counts for Catalog::Stats.
struct RowCounts {
  int schema_version = 0;
  int64_t cases_open = 0;
  int64_t cases_withdrawn = 0;
  int64_t items = 0;
  int64_t video_items = 0;
  int64_t pdq_hashes = 0;
  int64_t low_quality_hashes = 0;
  int64_t embeddings = 0;
  int64_t audit_entries = 0;
  int64_t storage_bytes = 0;  // the file and its WAL; the server's tables
};

// A video item, for its vPDQ export.
struct VideoItemRow {
  std::string case_id;
  std::string media_kind;
  double sample_interval = 0;  // 0: every frame
  bool withdrawn = false;
};

// One stored frame run of a video, for its vPDQ export.
struct FrameRunRow {
  absl::Span<const uint8_t> hash;
  int64_t quality = 100;
  double start = 0, end = 0;
  int64_t samples = 1;
  int64_t frame_number = 0;
};

class RowStore {
 public:
  virtual ~RowStore() = default;

  // The catalog's name in messages: its file's path, or host:port/database.
  virtual const std::string& name() const = 0;

  // -- Writing: every change is one transaction -----------------------------
  virtual absl::Status BeginWrite() = 0;
  virtual absl::Status Commit() = 0;
  virtual void Rollback() = 0;

  virtual absl::StatusOr<std::optional<CaseRow>> FindCase(const std::string& id) = 0;
  virtual absl::Status CreateCase(const std::string& id, const std::string& label,
                                  const std::string& created) = 0;
  virtual absl::Status SetCaseLabel(const std::string& id, const std::string& label) = 0;
  virtual absl::Status MarkCaseWithdrawn(const std::string& id, const std::string& when) = 0;
  // The item of `case_id` whose file had this SHA-256, if any.
  virtual absl::StatusOr<std::optional<int64_t>> FindItemBySha256(
      const std::string& case_id, absl::Span<const uint8_t> sha256) = 0;
  virtual absl::StatusOr<int64_t> InsertItem(const ItemRow& row) = 0;
  virtual absl::StatusOr<int64_t> InsertSignal(const SignalRow& row) = 0;
  virtual absl::StatusOr<std::vector<int64_t>> ItemsOfCase(const std::string& case_id) = 0;
  // Ids of the video frame signals of these items.
  virtual absl::StatusOr<std::vector<int64_t>> FrameSignalsOfItems(
      absl::Span<const int64_t> items) = 0;
  // action: enroll, withdraw, scan, import or export; details: a JSON object.
  // Outside a write transaction it is one of its own.
  virtual absl::Status AppendAudit(std::string_view action, const std::string& operator_name,
                                   const std::string& time, const std::string& details) = 0;

  // -- Reading everything once, when the catalog opens ----------------------
  struct LoadCallbacks {
    // First: the largest item id (checked: the directory is a table indexed
    // by item id).
    std::function<absl::Status(int64_t max_item)> max_item;
    std::function<absl::Status(const std::string& id, bool withdrawn)> on_case;
    std::function<absl::Status(int64_t item, std::string_view case_id)> on_item;
    // Indexed signals with quality unknown or >= min_quality.
    std::function<absl::Status(const IndexedRowView&)> on_signal;
  };
  // In one read snapshot; returns the cursor that snapshot stands at.
  virtual absl::StatusOr<ChangeCursor> LoadAll(int min_quality, const LoadCallbacks& load) = 0;

  // -- Following others' changes ---------------------------------------------
  // Whether anything was committed since `cursor` (one cheap query).
  virtual absl::StatusOr<bool> Changed(const ChangeCursor& cursor) = 0;
  // In one read snapshot: the changes since `cursor` (`on_rows`), then the
  // indexed signals (quality unknown or >= min_quality) of the items they
  // added (`on_signal`). Returns the cursor after them.
  virtual absl::StatusOr<ChangeCursor> ReadChanges(
      const ChangeCursor& cursor, int min_quality,
      const std::function<absl::Status(const RowChanges&)>& on_rows,
      const std::function<absl::Status(const IndexedRowView&)>& on_signal) = 0;

  // Whether WaitForChanges works here (a server announces its changes).
  virtual bool CanWaitForChanges() const { return false; }
  // Waits up to `seconds` for another connection to announce a commit
  // (LISTEN/NOTIFY); true when one did. Thread-safe (a connection of its
  // own): the catalog's follower thread calls it.
  virtual absl::StatusOr<bool> WaitForChanges(double seconds) const {
    (void)seconds;
    return false;
  }

  // -- Reports and exports -----------------------------------------------------
  virtual absl::StatusOr<RowCounts> Counts(int min_quality) = 0;
  // The open cases' image PDQ hashes (one case's when `case_id` is set), in
  // storage order.
  virtual absl::Status ForEachExportRow(
      const std::string& case_id,
      const std::function<void(absl::Span<const uint8_t> hash, std::optional<int64_t> quality,
                               const std::string& case_id, const std::string& label)>& row) = 0;
  // Open cases' video items (one case's when set): left out of CSV lists.
  virtual absl::StatusOr<int64_t> CountOpenVideos(const std::string& case_id) = 0;
  virtual absl::StatusOr<std::optional<VideoItemRow>> FindVideoItem(int64_t item) = 0;
  // A video item's frame runs in time order.
  virtual absl::Status ForEachFrameRun(int64_t item,
                                       const std::function<void(const FrameRunRow&)>& run) = 0;

  // -- Verification -----------------------------------------------------------
  // The item's stored local features; empty when none. Thread-safe.
  virtual absl::StatusOr<std::vector<uint8_t>> LocalFeatures(int64_t item) const = 0;
};

// A write transaction on a RowStore: begun now, rolled back when it goes
// unless committed.
class WriteTransaction {
 public:
  static absl::StatusOr<WriteTransaction> Begin(RowStore* rows) {
    if (absl::Status s = rows->BeginWrite(); !s.ok()) return s;
    return WriteTransaction(rows);
  }
  WriteTransaction(WriteTransaction&& other) noexcept : rows_(other.rows_) {
    other.rows_ = nullptr;
  }
  WriteTransaction(const WriteTransaction&) = delete;
  WriteTransaction& operator=(const WriteTransaction&) = delete;
  WriteTransaction& operator=(WriteTransaction&&) = delete;
  ~WriteTransaction() {
    if (rows_ != nullptr) rows_->Rollback();
  }
  absl::Status Commit() {
    RowStore* rows = rows_;
    rows_ = nullptr;
    return rows->Commit();
  }

 private:
  explicit WriteTransaction(RowStore* rows) : rows_(rows) {}
  RowStore* rows_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_ROW_STORE_H_
