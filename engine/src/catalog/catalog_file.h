// Opening the catalog's SQLite file with the settings its durability and
// privacy rest on (docs/catalog.md, "Durability" and "Privacy"):
// - an existing file is opened first and then checked (no check-then-open
//   race): refused when it is a symbolic link, not a regular file, owned by
//   another user, or readable or writable by group or others;
// - created with mode 0600 (owner only) before SQLite touches it; SQLite gives
//   the -wal and -shm files the main file's mode;
// - WAL journal, synchronous=FULL: a transaction is acknowledged only after
//   its WAL frames are fsync'ed, so it survives a kill -9 and a power cut;
// - foreign keys on, a busy timeout for other processes' write locks;
// - the schema migrated to the current version.
#ifndef HASHWATCH_CATALOG_CATALOG_FILE_H_
#define HASHWATCH_CATALOG_CATALOG_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "catalog/sqlite_db.h"

namespace hashwatch::catalog {

struct CatalogFileOptions {
  bool create_if_missing = true;
  int busy_timeout_ms = 5000;
};

// NotFound when the file is missing and !create_if_missing; PermissionDenied
// for a file another user owns or could read; FailedPrecondition for a
// symlink or a file that is not a catalog; DataLoss for a damaged one.
absl::StatusOr<SqliteDb> OpenCatalogFile(const std::string& path,
                                         const CatalogFileOptions& options);

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_FILE_H_
