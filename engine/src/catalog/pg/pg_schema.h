// The server catalog's schema: versioned migrations, applied in order in one
// transaction by the database's owner (InitServerCatalog), and the version
// check every other connection makes.
//
// Tables (schema `hashwatch`, docs/deployment.md has them column by column):
// meta (schema_version), centres, centre_staff (login role -> centre), cases
// (each belongs to a centre), items, signals, audit_log (append-only), and
// changes (a sequence number per enrolled item and per withdrawal, handed out
// in commit order, announced with NOTIFY hashwatch_changes: how workers
// follow the catalog). Version 2 adds the scan queue: jobs (a file to scan,
// claimed under an expiring lease; NOTIFY hashwatch_jobs on arrival) and
// results (one per job).
//
// Roles: hashwatch_staff (a centre's staff: row-level security shows and lets
// them change only their centre's cases, items, signals and audit entries)
// and hashwatch_monitor (scanning: reads hashes, case ids and centres, never
// labels, notes or source notes, and changes nothing but its own audit
// entries). A withdrawal (status open -> withdrawn, by the owning centre) is
// final and the only way a case stops matching: nobody but the owner may
// delete or rewrite items and signals.
#ifndef HASHWATCH_CATALOG_PG_PG_SCHEMA_H_
#define HASHWATCH_CATALOG_PG_PG_SCHEMA_H_

#include "absl/status/statusor.h"
#include "catalog/pg/pg_conn.h"

namespace hashwatch::catalog::pg {

// The newest schema version this build knows.
int LatestServerSchemaVersion();

// The installed version (0: none). Needs no privileges beyond USAGE.
absl::StatusOr<int> InstalledServerSchemaVersion(PgConn& conn);

// Applies the migrations above the installed version up to `target`, in one
// transaction (an advisory lock keeps two at once from racing). Returns the
// version it started from. (A target below the latest is for tests of
// migration in place.)
absl::StatusOr<int> MigrateServerSchema(PgConn& conn, int target = LatestServerSchemaVersion());

// OK when the installed schema is the one this build knows; otherwise
// FailedPrecondition saying what to do.
absl::Status CheckServerSchema(PgConn& conn);

}  // namespace hashwatch::catalog::pg

#endif  // HASHWATCH_CATALOG_PG_PG_SCHEMA_H_
