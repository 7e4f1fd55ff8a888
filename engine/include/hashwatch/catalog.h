// Catalog: the lasting store of known content (as hashes only) and the index
// that checks new media against it.
//
// A catalog is one SQLite file (docs/catalog.md has the schema), or the
// shared catalog on a PostgreSQL server that many centres and scanning
// machines use at once (hashwatch/server_catalog.h, docs/deployment.md),
// holding cases
// (a victim's submission, under the reference staff give it), items (one
// enrolled file or imported hash), their signals (PDQ hashes with quality)
// and an append-only audit log of who enrolled, withdrew, scanned, imported
// and exported what, when. It never holds pixels. A new file is created
// readable and writable by its owner only (mode 0600).
//
// Durability: every write is one SQLite transaction in WAL mode with
// synchronous=FULL: a call that returned OK has been fsync'ed, so it survives
// a kill -9 (tested: tests/catalog/catalog_durability_test.cc) and, as far as
// SQLite's guarantee and the disk's honouring of fsync go, a power cut (not
// tested here); a call that failed or was interrupted leaves nothing behind.
//
// Matching: when the catalog opens, the PDQ hashes of every open case are
// loaded into an exact in-memory index, which enrol, import and withdraw keep
// in step. A query is hashed with PDQ and, by default, its eight dihedral
// variants (rotations and mirrors) are each searched, so a rotated or
// mirrored copy matches too. Hashes whose PDQ quality is below 50 are not
// trusted (design.md section 4): enrolled ones are stored but not indexed,
// and a low-quality query is reported as such instead of being matched.
//
// Thread safety: a Catalog may be used from many threads at once. Match*
// calls run in parallel with each other and with enrolment, import and
// withdrawal; writers are serialised inside the catalog. A Match that starts
// after Withdraw returned never reports the withdrawn case. Another process
// may use the same file (SQLite locking; writers wait up to the busy
// timeout). Freshness: no match is made against a state of the file older
// than CatalogOptions::max_staleness_seconds (default 1 s): each Match*,
// after hashing and just before searching, catches up with other processes'
// commits (Refresh) when it last did so longer ago than that, so a case
// withdrawn elsewhere stops matching here within the bound.
#ifndef HASHWATCH_CATALOG_H_
#define HASHWATCH_CATALOG_H_

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hashwatch/decode_limits.h"
#include "hashwatch/image_hasher.h"
#include "hashwatch/isolated_hasher.h"
#include "hashwatch/signal.h"
#include "hashwatch/video_hasher.h"

namespace hashwatch {

// A case's reference as staff give it (1-200 characters, no control
// characters), e.g. "2024-0113".
using CaseId = std::string;
// An item's number in its catalog (positive; never reused).
using ItemId = int64_t;

// OK when `case_id` can name a case: 1-200 bytes of UTF-8, no control
// characters.
// Every call taking a case id checks this; exposed so that callers can check
// a whole batch's case before starting it.
absl::Status ValidateCaseId(const CaseId& case_id);

// The operator recorded in the audit log when a call gives none: the login
// name of the effective user (getpwuid), else $USER, else "unknown".
std::string DefaultOperatorName();

// OK when `name` may be recorded as an operator: empty (meaning
// DefaultOperatorName()), or 1-100 bytes of UTF-8 without control characters
// and without a leading or trailing space. Every call taking an operator
// checks it; exposed so that a caller can check it before a long scan.
absl::Status ValidateOperatorName(const std::string& name);

struct CatalogOptions {
  // Create the file (mode 0600) when it does not exist; otherwise NotFound.
  bool create_if_missing = true;
  // How long a write waits for another process's write lock.
  int busy_timeout_ms = 5000;
  // Enrolled and imported PDQ hashes below this quality are stored but not
  // indexed, so they never match. Hashes of unknown quality are indexed.
  int index_min_quality = 50;
  // Limits for the media that EnrollFile/MatchFile and friends decode.
  DecodeLimits limits;
  // Seconds between the sampled moments of an enrolled video; 0 (the
  // default) hashes every frame. A query is sampled once a second at its own
  // phase (a copy that starts a fraction of a second later, or runs at
  // another frame rate), so the reference must hold the frame it sampled:
  // with handheld footage, frames 1/20 s apart are already 24-56 bits apart
  // (docs/video.md), so 0.25 s sampling missed such copies. Runs of
  // near-identical frames are stored once, so a static scene costs one hash
  // however long it lasts.
  double reference_interval = 0;
  // Seconds between the enrolled video frames that store views (the regions
  // of enrol_views; VideoOptions::view_interval). Half the query's 1 s
  // sampling puts a stored region within 0.25 s of any sampled moment,
  // and a span needs only some of its moments to hit (the extension finds
  // the rest); measured (docs/video.md "Crops"): every crop found with its
  // start as with regions on every frame, at a fifth of the regions (the
  // frame index 2.4x the frames alone instead of 11x); at 1 s, copies that
  // start half a second later were missed.
  double reference_view_interval = 0.5;
  // Seconds between the sampled moments of a query video (vPDQ's 1/s).
  double query_interval = 1.0;
  // What enrolling an image (and each kept frame of a video: all but
  // `border`, which the video pipeline does over the whole video) stores
  // besides its PDQ, and what a query image is also looked at as, for the
  // copies plain PDQ misses (crops, padding, screenshots; docs/robustness.md,
  // whose benchmark set these defaults). Stored views are indexed like the
  // image's own hash and name the item (a frame's: the item and its moment).
  ViewOptions enrol_views = {.border = true, .canvas = false, .regions = true, .rotations = false};
  ViewOptions query_views = {.border = true, .canvas = true, .regions = false, .rotations = true};
  // Store the enrolled image's local features (ORB keypoints and
  // descriptors, ~10 KB; no pixels) so that looser candidates can be
  // verified (MatchOptions::verify).
  bool enrol_local_features = true;
  // The embedding signal (hashwatch/embedding.h): when set, enrolled images
  // store their embedding and query photos are embedded too, and the known
  // images nearest a query's embedding become candidates for the
  // verification stage (MatchOptions::embedding). Off by default:
  // docs/robustness.md measures what it earns. Embeddings stored by another
  // model are not indexed (CatalogStats::foreign_embeddings).
  std::shared_ptr<const EmbeddingModel> embedding;
  // The freshness bound, in seconds: a Match* call searches only a state of
  // the file that was checked at most this long before the search began,
  // catching up first (one SQLite pragma when nothing changed; a Refresh when
  // something did). 0 checks before every search; infinity leaves it to the
  // caller's Refresh() calls. When the catch-up fails, the match fails with
  // Unavailable rather than answer from an older state.
  double max_staleness_seconds = 1.0;
  // Server catalogs: a thread of the catalog listens for the server's change
  // announcements (LISTEN/NOTIFY) and catches up at once, so another role's
  // withdrawal stops matching here within milliseconds, between matches
  // too; a missed announcement or a reconnect is covered by the catch-up
  // from the last change number (and by the freshness bound).
  bool follow_changes = true;
  // Crash isolation for MatchFile (hashwatch/isolated_hasher.h): when set,
  // query files are read, decoded and hashed in worker processes, so a file
  // that crashes, hangs or exhausts a decoder costs that file only (its
  // MatchFile returns the error) and this process never decodes it. Enrolment
  // and MatchBytes stay in process. Unset: in process (faster;
  // docs/benchmarks.md measures the difference).
  std::optional<IsolationOptions> isolation;
};

// Who enrols what, and where it came from.
struct EnrollRequest {
  CaseId case_id;
  // The case's label; created with it, or updated when non-empty.
  std::string label;
  // Where the file came from, e.g. the name staff gave it. Never pixels.
  // EnrollFile uses the file's name when this is empty.
  std::string source_note;
  // Recorded in the audit log; empty means DefaultOperatorName().
  std::string operator_name;
};

struct EnrollResult {
  ItemId item = 0;
  std::string media = "image";  // "image" or "video"
  std::string pdq_hex;          // the enrolled PDQ hash (original orientation); empty for a video
  int quality = 0;              // its PDQ quality, 0..100 (a video: the median of its frames)
  // Videos: frames stored (runs of near-identical samples), of which
  // `indexed_frames` are trusted for matching, and the duration in seconds.
  int64_t frames = 0;
  int64_t indexed_frames = 0;
  // Views stored besides the whole (CatalogOptions::enrol_views): an
  // image's, or the sum over a video's kept frames.
  int64_t views = 0;
  double duration = 0;
  std::vector<std::string> warnings;  // e.g. a damaged video hashed in part
  // False when quality < CatalogOptions::index_min_quality: stored, but it
  // will not match anything.
  bool indexed = false;
  // True when the same bytes (SHA-256) were already enrolled in this case;
  // `item` is then the existing item and nothing was written.
  bool already_enrolled = false;
};

struct MatchOptions {
  // Largest Hamming distance (of 256 bits) that matches; 31 is PDQ's common
  // threshold (StopNCII, HMA). Any value 0..256 is exact; above 31 the search
  // falls back to a linear scan.
  int threshold = 31;
  // Also search the query's seven rotated and mirrored variants.
  bool dihedral = true;
  // Queries whose PDQ quality is below this are reported as low quality and
  // not matched (their hashes match too many unrelated images). For a video,
  // frames below it are not searched.
  int min_quality = 50;
  // A video query matches a reference only through a time-aligned span of at
  // least this many matched sampled moments (fewer when the query has fewer),
  // so one stray frame never makes a match (docs/video.md).
  int min_frames = 3;
  // Threads one video query's frame searches use (the calling thread is one
  // of them). 1 suits a scan that already matches several files at once
  // (scan --jobs); a pipeline matching one long video at a time can give it
  // the machine's cores (a 10-minute video over 10M frame hashes: 1.1 s on
  // one thread, 0.6 s on two; docs/benchmarks.md "Video").
  int search_threads = 1;
  // Photo queries (docs/robustness.md). Each step can be switched off:
  // search the query's views (CatalogOptions::query_views: the picture
  // inside borders or a screenshot) ...
  bool query_views = true;
  // ... and the known images' and video frames' stored views (crops of
  // them) ...
  bool stored_views = true;
  // ... and confirm candidates that no step matched within `threshold` but
  // that are within `verify_threshold` with local features: enough keypoint
  // matches consistent with one affine transform (crops, rotations, scaling,
  // placement inside a larger picture). Needs the known image's stored
  // features (CatalogOptions::enrol_local_features).
  bool verify = true;
  int verify_threshold = 96;
  int min_inliers = 20;
  // With a catalog embedding model: the `embedding_candidates` known images
  // whose embeddings are nearest the query's (cosine >= min_embedding_score)
  // are verified like the looser PDQ candidates; a match they give has
  // signal "embedding", stage "verified" and its `score`.
  bool embedding = true;
  int embedding_candidates = 4;
  double min_embedding_score = 0.3;
};

// Where a match lies in time, for matches that involve a video.
struct MatchSpan {
  // The query's matching part, seconds; set when the query is a video.
  bool query_is_video = false;
  double query_start = 0, query_end = 0;
  // The reference's matching part, seconds; set when the reference is a video.
  bool ref_is_video = false;
  double ref_start = 0, ref_end = 0;
  // Like vPDQ's two percentages, as fractions 0..1: the share of the query's
  // sampled moments that matched, and the share of the reference's timeline
  // that the span covers (references are hashed frame by frame and queries
  // once a second, so counting frames would understate it).
  double query_share = 0;
  double ref_share = 0;
  int matched_frames = 0;  // the query's sampled moments that matched
};

// One known item that a query matched.
struct Match {
  CaseId case_id;
  ItemId item = 0;
  std::string signal = "pdq";  // the signal type that matched
  int distance = 0;            // Hamming distance, 0..threshold
  // Which step found it: "pdq" (the whole query or a rotated or mirrored
  // variant against the known hash), "border", "canvas" or "rotated" (a
  // view of the query: signal.h's ImageView), "region" (a stored view of the known image),
  // "verified" (a looser candidate confirmed by local features; `inliers` says how many keypoints
  // agreed). A match on a known video is "pdq", or "region" when it was found
  // (for a span: mostly) through the stored views of the video's frames; a
  // video query's span found mostly through its frames' own border views (a
  // pillarboxed clip in a compilation) is "border".
  std::string stage = "pdq";
  int inliers = 0;
  // Signal "embedding": the cosine similarity of the two embeddings.
  double score = 0;
  // The transform of the query that matched the item (kOriginal for a
  // straight copy, kFlipY for a left-right mirror, ...): DihedralName()
  // gives its name.
  Dihedral variant = Dihedral::kOriginal;
  // For a video query or reference: the aligned span (distance is then the
  // median distance of its frames). A video may match one reference in
  // several spans (a compilation).
  std::optional<MatchSpan> span;
};

struct MatchResult {
  int quality = 0;           // the query's PDQ quality (a video: median of its frames)
  bool low_quality = false;  // quality < min_quality (every frame, for a video): not matched
  // Videos: the query's duration (s), its kept frames and sampled moments,
  // and what went wrong on the way (a damaged file hashed in part).
  bool video = false;
  double duration = 0;
  int64_t frames = 0;
  int64_t samples = 0;
  std::vector<std::string> warnings;
  // One entry per matched item, nearest first (ties by item); empty for none.
  std::vector<Match> matches;
};

struct WithdrawResult {
  int64_t items = 0;               // items of the case that stopped matching
  bool already_withdrawn = false;  // nothing changed; no audit entry written
};

// A hash list to import. Formats (detected from the first line that is not
// blank or a '#' comment):
//   csv:   header "pdq_hex,quality,case,label", then one hash per line;
//   plain: one 64-digit PDQ hex hash per line;
//   vpdq:  Meta's vPDQ frames "frame_number,quality,pdq_hex,timestamp" (one
//          video: all lines become one item with one signal per frame).
struct ImportRequest {
  // The case everything goes into; required for plain and vpdq lists. For
  // csv, overrides the case column when non-empty.
  CaseId case_id;
  // Label for cases the import creates (csv: the label column wins).
  std::string label;
  // Name of the list (e.g. its file name), kept in source notes and the log.
  std::string source_name;
  std::string operator_name;  // empty: DefaultOperatorName()
  // At most this many hashes in the list (about 80 bytes of memory each
  // while the list is checked, before anything is stored): more is refused
  // with ResourceExhausted and nothing is imported.
  int64_t max_hashes = 10'000'000;
};

struct ImportResult {
  std::string format;      // "csv", "plain" or "vpdq"
  int64_t items = 0;       // items created
  int64_t signals = 0;     // hashes stored
  int64_t indexed = 0;     // of which matchable (quality >= minimum)
  int64_t duplicates = 0;  // csv/plain lines already in their case: skipped
  int64_t cases_created = 0;
  std::vector<ItemId> item_ids;  // the items created, in input order
};

struct ExportOptions {
  // Only this case; empty exports every open case. Withdrawn cases are never
  // exported (asking for one is an error).
  CaseId case_id;
  std::string operator_name;  // empty: DefaultOperatorName()
  // For the audit log: where the list went (a file name).
  std::string destination;
  // Non-zero: write this video item's frames as Meta's vPDQ text
  // ("frame_number,quality,pdq_hex,timestamp", one line per sampled moment,
  // a run of near-identical frames repeated for each of its moments) instead
  // of the CSV list.
  // ImportHashes reads it back as one video.
  ItemId video_item = 0;
};

struct ExportResult {
  int64_t hashes = 0;  // lines written
  int64_t cases = 0;
  // CSV lists hold images and imported hashes; videos go out one at a time
  // as vPDQ (ExportOptions::video_item): how many videos the CSV left out.
  int64_t videos_left_out = 0;
};

// What one scan run did, for the audit log (no per-file details).
struct ScanSummary {
  int64_t files = 0;
  int64_t matched_files = 0;
  int64_t failed_files = 0;
  int64_t low_quality_files = 0;
  MatchOptions options;
};

struct CatalogStats {
  int schema_version = 0;
  int64_t cases_open = 0;
  int64_t cases_withdrawn = 0;
  int64_t items = 0;
  int64_t pdq_hashes = 0;          // stored, all cases
  int64_t low_quality_hashes = 0;  // stored below index_min_quality
  int64_t indexed_hashes = 0;      // in the in-memory indexes now (images and frames)
  int64_t indexed_frames = 0;      // of which video frames and their stored views
  int64_t indexed_views = 0;       // of which stored views of images (crops, borders)
  int64_t embeddings = 0;          // stored embeddings, all cases
  int64_t indexed_embeddings = 0;  // in the float index now (not in indexed_hashes)
  int64_t foreign_embeddings = 0;  // stored by another embedding model: not indexed
  std::string embedding_model;     // the catalog's model's name; empty: none
  std::string embedding_index;     // the float index's kind ("flat-ip", "ivf1024-flat ...")
  int64_t video_items = 0;         // enrolled or imported videos
  int64_t audit_entries = 0;       // -1: not visible to this role (a server's monitor)
  int64_t index_memory_bytes = 0;
  int64_t file_bytes = 0;  // the SQLite file and its WAL; on a server, its tables
  // How long Open took to read the hashes and to build the index.
  double open_read_seconds = 0;
  double open_index_seconds = 0;
};

// What VerifyCatalog found.
struct VerifyReport {
  // True when nothing is wrong: no problems.
  bool ok = false;
  // What is wrong, one sentence each, naming the case, item and signal (by
  // id) where there is one. At most 100 are listed; `problems_found` counts
  // them all.
  std::vector<std::string> problems;
  int64_t problems_found = 0;
  // What is worth knowing but not wrong: a schema version older than this
  // build's (the next command that opens the catalog upgrades it), a check
  // that could not run and why.
  std::vector<std::string> notes;
  int schema_version = 0;
  // What was checked.
  int64_t cases = 0;
  int64_t items = 0;
  int64_t signals = 0;  // stored signals, each hash parsed
  int64_t audit_entries = 0;
  int64_t indexed_hashes = 0;      // PDQ codes in the index built as Open builds it
  int64_t indexed_embeddings = 0;  // with CatalogOptions::embedding
};

class Catalog {
 public:
  // Opens (or creates) the catalog at `path`, migrates its schema and builds
  // the index of its open cases' PDQ hashes. NotFound when missing and
  // !create_if_missing; FailedPrecondition for a file that is not a catalog.
  // A `path` starting with postgresql:// opens the server catalog it names
  // (never created or migrated here: its owner runs InitServerCatalog);
  // what the connecting role may see and change is the server's to say
  // (server_catalog.h): a centre's staff load their centre's cases, a
  // monitor every case's hashes, and a refused change is PermissionDenied.
  // Freshness and Refresh follow the server's change sequence, never
  // reloading everything.
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(const std::string& path,
                                                       const CatalogOptions& options = {});
  ~Catalog();
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // Hashes an image (PDQ of its original orientation, and its SHA-256) or a
  // video (PDQ of its frames sampled every reference_interval seconds, after
  // border removal, with their times; SHA-256 and MD5 of the file), told
  // apart by content, and stores it under the case, creating the case if
  // needed. A file that cannot
  // be decoded is an error naming it, and nothing is written. Enrolling into
  // a withdrawn case is FailedPrecondition.
  absl::StatusOr<EnrollResult> EnrollFile(const EnrollRequest& request, const std::string& path);
  absl::StatusOr<EnrollResult> EnrollBytes(const EnrollRequest& request,
                                           absl::Span<const uint8_t> bytes);

  // Hashes a query image or video (told apart by content) and searches the
  // index: an image against known images and the frames of known videos; a
  // video frame by frame, then aligned in time (MatchOptions::min_frames). A file that cannot be
  // decoded is an error naming it.
  absl::StatusOr<MatchResult> MatchFile(const std::string& path,
                                        const MatchOptions& options = {}) const;
  absl::StatusOr<MatchResult> MatchBytes(absl::Span<const uint8_t> bytes,
                                         const MatchOptions& options = {}) const;
  // Searches with a PDQ signal computed elsewhere (ImageHasher with
  // HashOptions::variants for dihedral matching; without variants only the
  // original orientation is searched). InvalidArgument if it is not PDQ.
  absl::StatusOr<MatchResult> MatchSignal(const Signal& pdq,
                                          const MatchOptions& options = {}) const;
  // Searches with a video hashed elsewhere (VideoHasher, with
  // VideoOptions::variants for mirrored and rotated copies).
  absl::StatusOr<MatchResult> MatchVideo(const VideoSignals& video,
                                         const MatchOptions& options = {}) const;

  // Marks the case withdrawn: its items stop matching before this returns,
  // its hashes are no longer exported, and the audit log records it. The
  // stored rows stay (the log refers to them). NotFound for an unknown case.
  absl::StatusOr<WithdrawResult> Withdraw(const CaseId& case_id, const std::string& operator_name);

  // Imports a hash list in one transaction: either every line is stored, or
  // (on any bad line) nothing is, and the error lists the bad lines with
  // their numbers ("line 7: pdq hash must be 64 hex digits, got 12").
  absl::StatusOr<ImportResult> ImportHashes(const ImportRequest& request, std::istream& in);
  // As ImportHashes, reading `path` ("-" is not special here).
  absl::StatusOr<ImportResult> ImportHashesFromFile(const ImportRequest& request,
                                                    const std::string& path);

  // Writes the PDQ hashes of open cases as CSV ("pdq_hex,quality,case,label"
  // header, one hash per line), the format ImportHashes reads back.
  absl::StatusOr<ExportResult> ExportHashes(const ExportOptions& options, std::ostream& out);
  // As ExportHashes into a new file (mode 0600), written completely or not at
  // all (a temporary file renamed into place).
  absl::StatusOr<ExportResult> ExportHashesToFile(const ExportOptions& options,
                                                  const std::string& path);

  // Catches up with changes other processes committed to the file since this
  // catalog was opened or last refreshed: their enrolments and imports become
  // matchable, their withdrawals stop matching. Costs one SQLite pragma when
  // nothing changed, so a long-running matcher (the monitoring pipeline, a
  // long scan) can call it every few seconds; `hashwatch withdraw` run
  // elsewhere then takes effect without a restart. Safe while other threads
  // match.
  absl::Status Refresh();

  // Appends a scan run's summary to the audit log.
  absl::Status RecordScan(const ScanSummary& summary, const std::string& operator_name);

  absl::StatusOr<CatalogStats> Stats() const;
  const std::string& path() const;

  struct Impl;  // engine-internal

 private:
  explicit Catalog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Checks the catalog at `path` and says what is wrong with it, without
// changing it: the file is opened read-only (SQLite's own -wal and -shm files
// may appear beside a WAL catalog, as for any reader), nothing is migrated,
// and a missing file is not created. Checked, in one read snapshot:
// - the file: a regular file of this user's, closed to other users, reached
//   by its real path (what Open requires);
// - SQLite: PRAGMA integrity_check (pages, indexes, NOT NULL, CHECK and
//   STRICT types) and foreign_key_check (items of missing cases, signals of
//   missing items);
// - the schema: a version this build knows, and the tables, columns, indexes
//   and triggers (the audit log's append-only rule) exactly as its
//   migrations make them;
// - every signal's hash is a value of its type (32-byte PDQ, 16-byte MD5, an
//   ORB1 keypoint list, an embedding blob), else the problem names the
//   signal and its item;
// - the index: built from the rows as Open builds it (with `options`'
//   index_min_quality and embedding model), it must build, hold every
//   matchable hash of the open cases and none of a withdrawn case's, and its
//   sizes and item directory must agree with the tables.
// A damaged catalog is a report with problems (ok false), not an error.
// Errors, naming the path: NotFound when there is no file; FailedPrecondition
// for a file that is no catalog this build can check (not a regular file, not
// an SQLite database, another application's SQLite file, an empty database, a
// catalog newer than this build); Unavailable when another process holds the
// file locked beyond options.busy_timeout_ms.
// Memory: the index is built as Open builds it (about 100 bytes a hash) and
// freed on return.
// Thread safety: safe from any thread, also while other threads and
// processes use the catalog (a commit by another process during the call
// skips the index check, with a note).
absl::StatusOr<VerifyReport> VerifyCatalog(const std::string& path,
                                           const CatalogOptions& options = {});

}  // namespace hashwatch

#endif  // HASHWATCH_CATALOG_H_
