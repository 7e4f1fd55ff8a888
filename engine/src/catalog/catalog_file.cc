#include "catalog/catalog_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "catalog/catalog_schema.h"

namespace hashwatch::catalog {
namespace {

constexpr mode_t kOwnerOnly = S_IRUSR | S_IWUSR;  // 0600

// Creates an empty file readable by its owner only. fchmod because the
// process umask can only take bits away from 0600, and a strange umask
// (0277) would otherwise leave the owner unable to write.
absl::Status CreateOwnerOnlyFile(const std::string& path) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kOwnerOnly);
  if (fd < 0) {
    if (errno == EEXIST) return absl::OkStatus();  // created meanwhile by another process
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot create the catalog file: ", std::strerror(errno)));
  }
  const bool ok = ::fchmod(fd, kOwnerOnly) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot make the catalog file owner-only: ", std::strerror(saved)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<SqliteDb> OpenCatalogFile(const std::string& path,
                                         const CatalogFileOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("no catalog path given");
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) {
      return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
    }
    if (!options.create_if_missing) {
      return absl::NotFoundError(absl::StrCat(
          path, ": no catalog here (create one with 'hashwatch enroll' or 'hashwatch import')"));
    }
    if (absl::Status s = CreateOwnerOnlyFile(path); !s.ok()) return s;
  } else if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }

  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path, /*create=*/false);
  if (!db.ok()) return db.status();
  sqlite3_busy_timeout(db->raw(), options.busy_timeout_ms);

  // The first read of the file: a non-SQLite file fails here.
  absl::StatusOr<std::string> mode = db->QueryText("PRAGMA journal_mode = WAL");
  if (!mode.ok()) return mode.status();
  if (absl::AsciiStrToLower(*mode) != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": SQLite could not switch the catalog to WAL mode (got '", *mode,
                     "'); keep the catalog on a local file system"));
  }
  // FULL, not NORMAL: in WAL mode NORMAL already survives a process kill,
  // but a commit may be lost on power failure; enrolments and withdrawals
  // are rare and must not be lost once acknowledged, so pay one fsync each.
  if (absl::Status s = db->Exec("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"); !s.ok()) {
    return s;
  }
  if (absl::Status s = MigrateSchema(&*db); !s.ok()) return s;
  return db;
}

}  // namespace hashwatch::catalog
