// The shared catalog on a PostgreSQL server, for many centres and many
// scanning machines (docs/deployment.md): setting it up and saying who works
// in it. A Catalog opened with a postgresql:// URI uses it.
//
// Connections take a postgresql:// URI as libpq reads it. Credentials come
// from libpq's environment (~/.pgpass, PGPASSFILE, PGPASSWORD), never from
// the URI (refused: a command line is visible to every user of the machine);
// TLS settings pass through (sslmode=verify-full&sslrootcert=... in the URI,
// or PGSSLMODE and friends).
//
// Roles: the database's owner installs and migrates the catalog and says who
// works in it; a centre's staff (login roles added with AddCentreStaff) see
// and change only their centre's cases; a monitoring role (AddMonitor) reads
// hashes, case ids and centres, never labels or notes, and changes nothing.
// PostgreSQL enforces this (grants and row-level security), not hashwatch.
//
// Thread safety: each call opens its own connection; safe from any thread.
#ifndef HASHWATCH_SERVER_CATALOG_H_
#define HASHWATCH_SERVER_CATALOG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace hashwatch {

struct ServerInitResult {
  int from_version = 0;  // 0: the database had no catalog
  int to_version = 0;
};

// Installs the catalog (schema `hashwatch`, the group roles hashwatch_staff
// and hashwatch_monitor when missing, grants, row-level security) into the
// database `uri` names, or migrates an older one in place: in one
// transaction, all or nothing, and safe to run again. Run as the database's
// owner; creating the group roles needs CREATEROLE.
absl::StatusOr<ServerInitResult> InitServerCatalog(const std::string& uri);

// Makes the existing login role `role` staff of `centre` (created when new;
// 1-100 bytes of printable UTF-8): it may then enrol, label and withdraw that
// centre's cases, and see no other centre's. A role is staff of one centre;
// AlreadyExists when it is another's. Run as the owner.
absl::Status AddCentreStaff(const std::string& uri, const std::string& centre,
                            const std::string& role);

// Lets the existing login role `role` scan: it reads every open case's hashes
// and ids, nothing else. Run as the owner.
absl::Status AddMonitor(const std::string& uri, const std::string& role);

}  // namespace hashwatch

#endif  // HASHWATCH_SERVER_CATALOG_H_
