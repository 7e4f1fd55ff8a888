#include "catalog/catalog_file.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// An existing catalog file, open (so it is the file that was checked) and
// checked: a regular file, owned by this user, readable and writable by
// nobody else.
struct CheckedFile {
  CheckedFile() = default;
  CheckedFile(CheckedFile&& o) noexcept : fd(std::exchange(o.fd, -1)), st(o.st) {}
  CheckedFile& operator=(CheckedFile&& o) noexcept {
    if (this != &o) {
      if (fd >= 0) ::close(fd);
      fd = std::exchange(o.fd, -1);
      st = o.st;
    }
    return *this;
  }
  ~CheckedFile() {
    if (fd >= 0) ::close(fd);
  }
  int fd = -1;
  struct stat st = {};
};

// Opens first, then checks the open file, so no one can swap the file
// between the check and the use. O_NOFOLLOW: a symlink is refused, not
// followed (it could point at another user's file, or be re-pointed later);
// O_NONBLOCK: a FIFO never hangs the caller. NotFound when there is no file.
absl::StatusOr<CheckedFile> OpenAndCheck(const std::string& path) {
  CheckedFile f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (f.fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(path);
    if (errno == ELOOP) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": is a symbolic link; catalogs are opened only by their real path"));
    }
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (::fstat(f.fd, &f.st) != 0) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": ", std::strerror(errno)));
  }
  if (!S_ISREG(f.st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": not a regular file"));
  }
  if (f.st.st_uid != ::geteuid()) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": the catalog belongs to user id ", f.st.st_uid, ", not to this user (",
                     ::geteuid(), "); another user could read or replace it. Run as its owner"));
  }
  if ((f.st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": the catalog is open to other users (mode ",
                     absl::StrFormat("%04o", f.st.st_mode & 07777),
                     "); make it owner-only first: chmod 600 ", path));
  }
  return f;
}

}  // namespace

absl::StatusOr<SqliteDb> OpenCatalogFile(const std::string& path,
                                         const CatalogFileOptions& options) {
  if (path.empty()) return absl::InvalidArgumentError("no catalog path given");
  absl::StatusOr<CheckedFile> checked = OpenAndCheck(path);
  if (!checked.ok() && absl::IsNotFound(checked.status())) {
    if (!options.create_if_missing) {
      return absl::NotFoundError(absl::StrCat(
          path, ": no catalog here (create one with 'hashwatch enroll' or 'hashwatch import')"));
    }
    if (absl::Status s = CreateOwnerOnlyFile(path); !s.ok()) return s;
    checked = OpenAndCheck(path);
  }
  if (!checked.ok()) return checked.status();

  absl::StatusOr<SqliteDb> db = SqliteDb::Open(path, /*create=*/false);
  if (!db.ok()) return db.status();
  // SQLite opened the name again: it must still be the file checked above
  // (held open, so its inode cannot have been reused meanwhile).
  struct stat now;
  if (::lstat(path.c_str(), &now) != 0 || now.st_dev != checked->st.st_dev ||
      now.st_ino != checked->st.st_ino) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": the catalog file was replaced while it was being opened"));
  }
  sqlite3_busy_timeout(db->raw(), options.busy_timeout_ms);
  // What the file is, read before anything writes to it: switching a foreign
  // SQLite file to WAL would already change its header.
  if (absl::StatusOr<int64_t> v = CheckCatalogIdentity(&*db); !v.ok()) return v.status();

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
