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

// Brings the database to CurrentSchemaVersion(). Refuses (FailedPrecondition)
// a file that is not a catalog or whose schema is newer than this build.
absl::Status MigrateSchema(SqliteDb* db);

}  // namespace hashwatch::catalog

#endif  // HASHWATCH_CATALOG_CATALOG_SCHEMA_H_
