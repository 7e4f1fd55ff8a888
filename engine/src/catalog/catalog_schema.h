// The catalog's SQLite schema as an ordered list of migrations.
//
// `PRAGMA user_version` holds the number of migrations applied. Opening a
// catalog applies the missing ones, each in its own transaction together with
// its version bump, so a crash leaves the file at one version or the next,
// never between. A catalog newer than this build is refused, not downgraded.
//
// To change the schema: append a migration; never edit a published one.
#ifndef HASHWATCH_CATALOG_CATALOG_SCHEMA_H_
#define HASHWATCH_CATALOG_CATALOG_SCHEMA_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "catalog/sqlite_db.h"

namespace hashwatch::catalog {

// `PRAGMA application_id` of a hashwatch catalog ("hwct"), so that other
// SQLite files are recognised and refused.
inline constexpr int64_t kCatalogApplicationId = 0x68776374;

struct Migration {
  int version;           // user_version after this migration
  std::string_view sql;  // statements, run in one transaction
};

// Every migration, in order; the last one's version is the current schema.
absl::Span<const Migration> Migrations();
int CurrentSchemaVersion();

// Reads what the file is, writing nothing (no journal mode, no pragma, no
// migration), so a file it refuses is left byte for byte as it was: call it
// before anything that may write, `PRAGMA journal_mode = WAL` included (on a
// rollback-journal SQLite file that rewrites the header). Returns the schema
// version: 0 for an empty database (a new file, to be made a catalog),
// 1..CurrentSchemaVersion() for a catalog this build can use.
// FailedPrecondition, naming the path and what is wrong, for a file that is
// not an SQLite database, another application's SQLite file (application_id
// not "hwct" and not empty) or a catalog newer than this build; DataLoss for
// a file SQLite finds damaged; Unavailable while another process holds an
// exclusive lock beyond the busy timeout.
absl::StatusOr<int64_t> CheckCatalogIdentity(SqliteDb* db);

// Brings the database to CurrentSchemaVersion(). Refuses (FailedPrecondition)
// a file that is not a catalog or whose schema is newer than this build, as
// CheckCatalogIdentity does.
absl::Status MigrateSchema(SqliteDb* db);

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_SCHEMA_H_
