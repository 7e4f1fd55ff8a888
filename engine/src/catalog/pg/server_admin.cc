// InitServerCatalog, AddCentreStaff, AddMonitor (hashwatch/server_catalog.h).
#include "absl/strings/str_cat.h"
#include "catalog/pg/pg_conn.h"
#include "catalog/pg/pg_schema.h"
#include "hashwatch/server_catalog.h"
#include "hashwatch/text.h"

namespace hashwatch {
namespace {

using catalog::pg::PgConn;
using catalog::pg::PgParam;
using catalog::pg::PgResult;
using catalog::pg::PgTransaction;
using catalog::pg::QuoteIdentifier;

// The login role must exist (the server's administrator creates it, with its
// password or certificate) and must not be a superuser or the owner, which
// row-level security would not bind.
absl::Status CheckRole(PgConn& conn, const std::string& role) {
  if (role.empty() || role.size() > 63 || !IsPrintableText(role)) {
    return absl::InvalidArgumentError("a role name is 1-63 bytes of printable text");
  }
  absl::StatusOr<PgResult> r = conn.Query(
      "SELECT rolsuper OR rolbypassrls, rolname = current_user FROM pg_roles WHERE rolname = $1",
      {PgParam::Text(role)});
  if (!r.ok()) return r.status();
  if (r->rows() == 0) {
    return absl::NotFoundError(absl::StrCat("no role '", role, "' on ", conn.name(),
                                            ": create the login role first (CREATE ROLE ... "
                                            "LOGIN)"));
  }
  if (r->Text(0, 0) == "t" || r->Text(0, 1) == "t") {
    return absl::FailedPreconditionError(
        absl::StrCat("role '", role,
                     "' is a superuser, bypasses row-level security or owns the catalog: "
                     "give staff and monitors ordinary login roles"));
  }
  return absl::OkStatus();
}

absl::StatusOr<PgConn> ConnectToCatalog(const std::string& uri) {
  absl::StatusOr<PgConn> conn = PgConn::Connect(uri);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = catalog::pg::CheckServerSchema(*conn); !s.ok()) return s;
  return conn;
}

}  // namespace

absl::StatusOr<ServerInitResult> InitServerCatalog(const std::string& uri) {
  absl::StatusOr<PgConn> conn = PgConn::Connect(uri);
  if (!conn.ok()) return conn.status();
  absl::StatusOr<int> from = catalog::pg::MigrateServerSchema(*conn);
  if (!from.ok()) return from.status();
  return ServerInitResult{.from_version = *from,
                          .to_version = catalog::pg::LatestServerSchemaVersion()};
}

absl::Status AddCentreStaff(const std::string& uri, const std::string& centre,
                            const std::string& role) {
  if (centre.empty() || centre.size() > 100 || !IsPrintableText(centre)) {
    return absl::InvalidArgumentError("a centre's name is 1-100 bytes of printable UTF-8");
  }
  absl::StatusOr<PgConn> conn = ConnectToCatalog(uri);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = CheckRole(*conn, role); !s.ok()) return s;
  absl::StatusOr<PgTransaction> txn = PgTransaction::Begin(&*conn);
  if (!txn.ok()) return txn.status();
  absl::StatusOr<PgResult> other = conn->Query(
      "SELECT centre FROM hashwatch.centre_staff WHERE role_name = $1", {PgParam::Text(role)});
  if (!other.ok()) return other.status();
  if (other->rows() == 1 && other->Text(0, 0) != centre) {
    return absl::AlreadyExistsError(
        absl::StrCat("role '", role, "' is already staff of centre '", other->Text(0, 0), "'"));
  }
  for (const auto& [sql, params] : std::vector<std::pair<std::string, std::vector<PgParam>>>{
           {"INSERT INTO hashwatch.centres (id) VALUES ($1) ON CONFLICT DO NOTHING",
            {PgParam::Text(centre)}},
           {"INSERT INTO hashwatch.centre_staff (role_name, centre) VALUES ($1, $2) "
            "ON CONFLICT DO NOTHING",
            {PgParam::Text(role), PgParam::Text(centre)}},
           {absl::StrCat("GRANT hashwatch_staff TO ", QuoteIdentifier(role)), {}}}) {
    absl::StatusOr<PgResult> r = conn->Query(sql, params);
    if (!r.ok()) return r.status();
  }
  return txn->Commit();
}

absl::Status AddMonitor(const std::string& uri, const std::string& role) {
  absl::StatusOr<PgConn> conn = ConnectToCatalog(uri);
  if (!conn.ok()) return conn.status();
  if (absl::Status s = CheckRole(*conn, role); !s.ok()) return s;
  return conn->Exec(absl::StrCat("GRANT hashwatch_monitor TO ", QuoteIdentifier(role)));
}

}  // namespace hashwatch
