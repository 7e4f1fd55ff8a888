// The parts of VerifyCatalog (hashwatch/catalog.h) that tests reach into:
// the list of problems a verification collects, and the check of the rows
// against the index that Catalog::Open builds from them (catalog_verify_rows.cc).
// catalog_verify.cc does the rest: the file, SQLite's own checks, the schema.
//
// Thread safety: none; one verification runs on one thread.
#ifndef HASHWATCH_CATALOG_CATALOG_VERIFY_H_
#define HASHWATCH_CATALOG_CATALOG_VERIFY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "catalog/case_directory.h"
#include "catalog/index_batch.h"
#include "catalog/sqlite_db.h"
#include "hashwatch/catalog.h"

namespace hashwatch::catalog {

// What a verification found: every problem counted, the first kListed kept
// (a catalog with a million bad rows must not print a million lines).
class ProblemList {
 public:
  static constexpr size_t kListed = 100;

  void Add(std::string problem);
  void Note(std::string note) { notes_.push_back(std::move(note)); }
  int64_t found() const { return found_; }
  // Moves the problems and notes into `report` and sets its `ok`.
  void MoveTo(VerifyReport* report);

 private:
  int64_t found_ = 0;
  std::vector<std::string> listed_;
  std::vector<std::string> notes_;
};

// The index and item directory as Catalog::Open builds them (LoadCatalog).
struct BuiltIndex {
  const CaseDirectory* directory = nullptr;
  const CatalogIndexes* indexes = nullptr;
};

struct RowCheckOptions {
  int index_min_quality = 50;    // CatalogOptions::index_min_quality
  uint32_t embedding_model = 0;  // EmbeddingModel::fingerprint(); 0: embeddings are not indexed
};

// Reads the cases, items and signals (only columns of schema version 1, so
// any catalog this build knows) inside the caller's read transaction, and
// adds to `problems`:
// - each signal whose hash does not parse as its type (a 32-byte PDQ, a
//   16-byte MD5, an ORB1 keypoint list, an embedding blob) or whose type this
//   build does not know, naming the signal and its item;
// - with `built`: each matchable PDQ hash (an open case's, quality unknown or
//   >= index_min_quality) the index lacks, each hash of a withdrawn case it
//   holds, each index whose size differs from the matchable rows, and each
//   item the directory places in another case than the items table.
// Sets report->cases, items, signals and audit_entries, and with `built`
// indexed_hashes and indexed_embeddings.
void CheckRows(SqliteDb* db, const RowCheckOptions& options, const BuiltIndex* built,
               ProblemList* problems, VerifyReport* report);

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_VERIFY_H_
