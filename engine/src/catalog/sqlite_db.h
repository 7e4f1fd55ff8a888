// SqliteDb and SqliteStatement: the catalog's thin RAII layer over the SQLite
// C API, turning result codes into absl::Status with the database's message.
// Nothing outside engine/src/catalog/ sees SQLite.
//
// Thread safety: a SqliteDb is one connection; the catalog serialises its use
// with its own mutex (the connection is also opened SQLITE_OPEN_FULLMUTEX, so
// misuse cannot corrupt memory). Statements belong to their connection.
#ifndef HASHWATCH_CATALOG_SQLITE_DB_H_
#define HASHWATCH_CATALOG_SQLITE_DB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

struct sqlite3;
struct sqlite3_stmt;

namespace hashwatch::catalog {

class SqliteStatement;

class SqliteDb {
 public:
  // Opens (creating when `create`) the database at `path`. Errors name the
  // path. No pragma is set here; see catalog_file.h.
  static absl::StatusOr<SqliteDb> Open(const std::string& path, bool create);
  // Opens an existing database for reading only (SQLITE_OPEN_READONLY): no
  // statement on it can write the file, and closing it never checkpoints.
  // A WAL database is read through its -wal and -shm files, which SQLite
  // creates (empty) beside it when they are missing. Errors name the path.
  static absl::StatusOr<SqliteDb> OpenReadOnly(const std::string& path);

  SqliteDb(SqliteDb&& other) noexcept;
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs one or more statements that return no rows we need.
  absl::Status Exec(std::string_view sql);
  // Compiles one statement.
  absl::StatusOr<SqliteStatement> Prepare(std::string_view sql);
  // Runs a statement returning one integer (e.g. "PRAGMA user_version").
  absl::StatusOr<int64_t> QueryInt(std::string_view sql);
  // Runs a statement returning one text value.
  absl::StatusOr<std::string> QueryText(std::string_view sql);

  // rowid of the last successful INSERT on this connection.
  int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }
  sqlite3* raw() const { return db_; }

  // An error status for result code `rc`, with the connection's message and
  // `what` (the operation) in it.
  absl::Status Error(int rc, std::string_view what) const;

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_ = nullptr;
  std::string path_;
};

// A compiled statement. Bind parameters are 1-based, columns 0-based.
class SqliteStatement {
 public:
  SqliteStatement(SqliteStatement&& other) noexcept;
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  SqliteStatement(const SqliteStatement&) = delete;
  SqliteStatement& operator=(const SqliteStatement&) = delete;
  ~SqliteStatement();

  SqliteStatement& Bind(int index, int64_t value);
  SqliteStatement& Bind(int index, std::string_view text);
  SqliteStatement& BindBlob(int index, absl::Span<const uint8_t> bytes);
  SqliteStatement& BindNull(int index);
  SqliteStatement& Bind(int index, std::optional<int64_t> value);
  SqliteStatement& Bind(int index, std::optional<double> value);

  // Advances: true when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps through every row, calling `row()` (which returns absl::Status)
  // for each; stops at the first error from SQLite or from `row`.
  template <typename RowFn>
  absl::Status ForEachRow(RowFn row) {
    for (;;) {
      absl::StatusOr<bool> more = Step();
      if (!more.ok()) return more.status();
      if (!*more) return absl::OkStatus();
      if (absl::Status s = row(); !s.ok()) return s;
    }
  }
  // Steps a statement that returns no rows (INSERT, UPDATE, ...).
  absl::Status Run();
  // Resets to run again; bindings are cleared.
  void Reset();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Double(int column) const;
  std::string Text(int column) const;
  absl::Span<const uint8_t> Blob(int column) const;  // valid until the next Step

 private:
  friend class SqliteDb;
  SqliteStatement(const SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  const SqliteDb* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;  // first failed bind, reported by Step
};

// BEGIN IMMEDIATE ... COMMIT, rolled back unless Commit() succeeded.
// IMMEDIATE takes the write lock at once, so a concurrent writer in another
// process waits (busy timeout) instead of failing at COMMIT.
class SqliteTransaction {
 public:
  static absl::StatusOr<SqliteTransaction> Begin(SqliteDb* db);
  SqliteTransaction(SqliteTransaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTransaction& operator=(SqliteTransaction&&) = delete;
  ~SqliteTransaction();
  absl::Status Commit();

 private:
  explicit SqliteTransaction(SqliteDb* db) : db_(db) {}
  SqliteDb* db_;
};

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_SQLITE_DB_H_
