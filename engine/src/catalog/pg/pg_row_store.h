// PgRowStore: the RowStore of the shared catalog on a PostgreSQL server
// (pg_schema.h has the tables, roles and row-level security). What a
// connection sees and may change is decided by the server for its role: a
// centre's staff load and follow their centre's cases only, a monitor every
// case's hashes. Others' changes are followed through the change sequence
// (hashwatch.changes: numbers in commit order), never by reloading.
//
// Thread safety: as RowStore.
#ifndef HASHWATCH_CATALOG_PG_PG_ROW_STORE_H_
#define HASHWATCH_CATALOG_PG_PG_ROW_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "catalog/row_store.h"

namespace hashwatch::catalog::pg {

// Connects to the catalog `uri` names (pg_conn.h: credentials from libpq's
// environment), checks that its schema is the one this build knows, and
// returns its store. FailedPrecondition when the database has no catalog or
// another version (the owner runs `hashwatch server init`).
absl::StatusOr<std::unique_ptr<RowStore>> OpenPgRowStore(const std::string& uri);

}  // namespace hashwatch::catalog::pg

#endif  // HASHWATCH_CATALOG_PG_PG_ROW_STORE_H_
