// FeatureReader: the stored local features of known images (signal type
// "orb", signals/local_features.h), read on demand for the verification
// stage. They are too large to keep in memory for every item (~14 KB each)
// and only the few candidates a query verifies need them, so each read is
// one indexed SELECT on a connection of the reader's own: matchers never
// wait for the catalog's write lock.
//
// Thread safety: safe from many threads (reads are serialised by a mutex).
#ifndef HASHWATCH_CATALOG_FEATURE_READER_H_
#define HASHWATCH_CATALOG_FEATURE_READER_H_

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "catalog/sqlite_db.h"

namespace hashwatch::catalog {

class FeatureReader {
 public:
  explicit FeatureReader(std::string db_path) : path_(std::move(db_path)) {}

  // The item's serialised features; empty when none were stored (enrolled
  // without them, imported hashes, videos).
  absl::StatusOr<std::vector<uint8_t>> Read(int64_t item) const;

 private:
  std::string path_;
  mutable std::mutex mu_;
  mutable std::optional<SqliteDb> db_;
  mutable std::optional<SqliteStatement> query_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_FEATURE_READER_H_
