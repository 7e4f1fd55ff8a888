// PgConn and PgResult: the server catalog's thin RAII layer over libpq, turning
// results into absl::Status with the server's message and SQLSTATE. Nothing
// outside engine/src/catalog/pg/ sees libpq.
//
// Connections: a postgresql:// URI (or key=value string) as libpq reads it.
// Credentials come from libpq's environment (PGPASSWORD, PGPASSFILE,
// ~/.pgpass) and TLS settings from the URI or PGSSL* variables; a password
// inside the URI is refused, since a command line is visible to every user of
// the machine.
//
// A connection that broke (the server restarted) is re-established before
// the next statement; the statement that met the break fails with
// Unavailable, and nothing of the old session (a transaction, LISTEN)
// carries over.
//
// Thread safety: a PgConn is one connection, used by one thread at a time.
#ifndef HASHWATCH_CATALOG_PG_PG_CONN_H_
#define HASHWATCH_CATALOG_PG_PG_CONN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

struct pg_conn;
struct pg_result;

namespace hashwatch::catalog::pg {

// True when `db` names a PostgreSQL server rather than a file.
bool IsServerUri(std::string_view db);

// One query parameter, sent as text (NULL when empty) or as raw bytes (bytea).
struct PgParam {
  std::optional<std::string> value;
  bool binary = false;

  static PgParam Null() { return {}; }
  static PgParam Text(std::string text) { return {std::move(text), false}; }
  static PgParam Int(int64_t v) { return {std::to_string(v), false}; }
  static PgParam Double(double v);
  static PgParam Bytes(absl::Span<const uint8_t> bytes) {
    return {std::string(bytes.begin(), bytes.end()), true};
  }
};

class PgResult {
 public:
  explicit PgResult(pg_result* r) : r_(r) {}
  PgResult(PgResult&& other) noexcept : r_(other.r_) { other.r_ = nullptr; }
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  int rows() const;
  bool IsNull(int row, int col) const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  double Double(int row, int col) const;
  std::optional<int64_t> OptInt(int row, int col) const;
  std::optional<double> OptDouble(int row, int col) const;
  // A bytea column (text format, "\x..." hex).
  std::vector<uint8_t> Bytes(int row, int col) const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  int64_t affected() const;

 private:
  friend class PgConn;
  pg_result* r_;
};

class PgConn {
 public:
  // Connects; errors name the server (host, port, database), never a secret.
  static absl::StatusOr<PgConn> Connect(const std::string& uri);

  PgConn(PgConn&& other) noexcept
      : c_(other.c_), name_(std::move(other.name_)), generation_(other.generation_) {
    other.c_ = nullptr;
  }
  PgConn& operator=(PgConn&& other) noexcept;
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn();

  // Runs one statement with parameters ($1, $2, ...).
  absl::StatusOr<PgResult> Query(std::string_view sql, const std::vector<PgParam>& params = {});
  // As Query, for a read outside a transaction: when the connection turns
  // out broken (the server restarted), it reconnects and runs it once more.
  absl::StatusOr<PgResult> QueryRead(std::string_view sql, const std::vector<PgParam>& params = {});
  // Runs statements that return nothing we need (no parameters; may be
  // several, separated by semicolons).
  absl::Status Exec(std::string_view sql);
  absl::StatusOr<int64_t> QueryInt(std::string_view sql, const std::vector<PgParam>& params = {});
  // Runs a SELECT through a cursor, `batch` rows at a time, calling `row`
  // for each: a large result never sits in memory whole. Must run inside a
  // transaction.
  absl::Status ForEachRow(std::string_view sql, const std::vector<PgParam>& params,
                          const std::function<absl::Status(const PgResult&, int)>& row,
                          int batch = 20000);

  // LISTEN support: the socket to wait on, and the notifications that came.
  int socket() const;
  // Reads what arrived on the socket; the names of the channels notified.
  absl::StatusOr<std::vector<std::string>> TakeNotifications();
  // False once the connection broke.
  bool ok() const;

  // "host:port/database" for messages.
  const std::string& name() const { return name_; }
  // Counts the reconnections (after a server restart): session state such
  // as LISTEN must be set up again when it changes.
  int generation() const { return generation_; }

 private:
  PgConn(pg_conn* c, std::string name) : c_(c), name_(std::move(name)) {}
  absl::Status ResultStatus(pg_result* r, std::string_view sql) const;
  // A broken connection is reset (one attempt) before the next statement.
  bool Reconnect();

  pg_conn* c_;
  std::string name_;
  int generation_ = 0;
};

// A transaction on a connection: BEGIN now, ROLLBACK on destruction unless
// Commit was called.
class PgTransaction {
 public:
  static absl::StatusOr<PgTransaction> Begin(PgConn* conn, std::string_view mode = "");
  PgTransaction(PgTransaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  PgTransaction(const PgTransaction&) = delete;
  PgTransaction& operator=(const PgTransaction&) = delete;
  PgTransaction& operator=(PgTransaction&&) = delete;
  ~PgTransaction();
  absl::Status Commit();

 private:
  explicit PgTransaction(PgConn* conn) : conn_(conn) {}
  PgConn* conn_;
};

// Quotes `name` as an SQL identifier ("alice" -> "\"alice\"").
std::string QuoteIdentifier(std::string_view name);

}  // namespace hashwatch::catalog::pg

#endif  // HASHWATCH_CATALOG_PG_PG_CONN_H_
