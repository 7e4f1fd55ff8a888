// The server catalog's roles, proved by PostgreSQL's refusals: a centre's
// staff see and change only their centre's cases; the monitoring role reads
// hashes and case ids only and changes nothing; a withdrawal is final; the
// audit log is append-only. Each statement runs as the role it is about.
#include <catch2/catch.hpp>
#include <string>

#include "absl/status/status.h"
#include "catalog/pg/pg_conn.h"
#include "catalog/pg/pg_schema.h"
#include "hashwatch/server_catalog.h"
#include "pg_test_support.h"

namespace hashwatch::testing {
namespace {

using catalog::pg::PgConn;
using catalog::pg::PgParam;
using catalog::pg::PgResult;

#define REQUIRE_SERVER(db)             \
  if (!(db).error().empty()) {         \
    WARN("skipped: " << (db).error()); \
    return;                            \
  }

PgConn ConnectAs(const TestDatabase& db, const std::string& role) {
  absl::StatusOr<PgConn> c = PgConn::Connect(db.UriAs(role));
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return *std::move(c);
}

absl::StatusCode CodeOf(PgConn& c, const std::string& sql,
                        const std::vector<PgParam>& params = {}) {
  return c.Query(sql, params).status().code();
}

int64_t Rows(PgConn& c, const std::string& sql) {
  absl::StatusOr<PgResult> r = c.Query(sql);
  INFO(sql << ": " << r.status().ToString());
  REQUIRE(r.ok());
  return r->rows();
}

int64_t Affected(PgConn& c, const std::string& sql) {
  absl::StatusOr<PgResult> r = c.Query(sql);
  INFO(sql << ": " << r.status().ToString());
  REQUIRE(r.ok());
  return r->affected();
}

// Two centres, one staff role each, a monitor, and one case with an item and
// a signal in each centre, enrolled by its own staff.
struct Scene {
  TestDatabase db;
  std::string north, south, monitor, stranger;

  bool Ready() {
    if (!db.error().empty()) return false;
    absl::StatusOr<ServerInitResult> init = InitServerCatalog(db.OwnerUri());
    INFO(init.status().ToString());
    REQUIRE(init.ok());
    CHECK(init->from_version == 0);
    north = db.CreateLoginRole("north");
    south = db.CreateLoginRole("south");
    monitor = db.CreateLoginRole("monitor");
    stranger = db.CreateLoginRole("stranger");
    REQUIRE(AddCentreStaff(db.OwnerUri(), "North", north).ok());
    REQUIRE(AddCentreStaff(db.OwnerUri(), "South", south).ok());
    REQUIRE(AddMonitor(db.OwnerUri(), monitor).ok());
    for (const auto& [role, case_id] : {std::pair{north, std::string("N-1")}, {south, "S-1"}}) {
      PgConn c = ConnectAs(db, role);
      REQUIRE(c.Query("INSERT INTO hashwatch.cases (id, label, notes) VALUES ($1, 'label', "
                      "'notes')",
                      {PgParam::Text(case_id)})
                  .ok());
      absl::StatusOr<PgResult> item = c.Query(
          "INSERT INTO hashwatch.items (case_id, media_kind, source_note) VALUES ($1, "
          "'image', 'victim_photo.jpg') RETURNING id",
          {PgParam::Text(case_id)});
      INFO(item.status().ToString());
      REQUIRE(item.ok());
      REQUIRE(
          c.Query("INSERT INTO hashwatch.signals (item_id, type, hash, quality) VALUES "
                  "($1, 'pdq', $2, 90)",
                  {PgParam::Int(item->Int(0, 0)), PgParam::Bytes(std::vector<uint8_t>(32, 0xab))})
              .ok());
    }
    return true;
  }
};

TEST_CASE("A centre's staff see and change only their own centre's cases", "[server]") {
  Scene scene;
  if (!scene.Ready()) {
    WARN("skipped: " << scene.db.error());
    return;
  }
  PgConn north = ConnectAs(scene.db, scene.north);
  // Their own: visible, labels and notes editable.
  CHECK(Rows(north, "SELECT id, label, notes FROM hashwatch.cases") == 1);
  CHECK(Rows(north, "SELECT * FROM hashwatch.items") == 1);
  CHECK(Rows(north, "SELECT * FROM hashwatch.signals") == 1);
  CHECK(Affected(north, "UPDATE hashwatch.cases SET label = 'new' WHERE id = 'N-1'") == 1);
  // The other centre's: invisible, and no statement reaches them.
  CHECK(Rows(north, "SELECT * FROM hashwatch.cases WHERE id = 'S-1'") == 0);
  CHECK(Affected(north, "UPDATE hashwatch.cases SET label = 'x' WHERE id = 'S-1'") == 0);
  CHECK(Affected(north, "UPDATE hashwatch.cases SET notes = 'x' WHERE id = 'S-1'") == 0);
  CHECK(Affected(north, "UPDATE hashwatch.cases SET status = 'withdrawn' WHERE id = 'S-1'") == 0);
  // Refused outright: an item in their case, a case in their name.
  CHECK(CodeOf(north, "INSERT INTO hashwatch.items (case_id, media_kind) VALUES ('S-1', 'hash')") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(north, "INSERT INTO hashwatch.cases (id, centre) VALUES ('N-2', 'South')") ==
        absl::StatusCode::kPermissionDenied);
  // Another centre's staff mapping and audit entries are not theirs to read.
  CHECK(Rows(north, "SELECT * FROM hashwatch.centre_staff") == 1);
  // Nobody deletes or rewrites stored hashes, even their own.
  CHECK(CodeOf(north, "DELETE FROM hashwatch.signals") == absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(north, "DELETE FROM hashwatch.items") == absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(north, "DELETE FROM hashwatch.cases") == absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(north, "UPDATE hashwatch.signals SET quality = 0") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(north, "UPDATE hashwatch.cases SET centre = 'South'") ==
        absl::StatusCode::kPermissionDenied);
  // The other centre still has its case untouched.
  PgConn south = ConnectAs(scene.db, scene.south);
  absl::StatusOr<PgResult> s =
      south.Query("SELECT label, notes, status FROM hashwatch.cases WHERE id = 'S-1'");
  REQUIRE(s.ok());
  REQUIRE(s->rows() == 1);
  CHECK(s->Text(0, 0) == "label");
  CHECK(s->Text(0, 1) == "notes");
  CHECK(s->Text(0, 2) == "open");
}

TEST_CASE("The monitoring role reads hashes and case ids only and changes nothing", "[server]") {
  Scene scene;
  if (!scene.Ready()) {
    WARN("skipped: " << scene.db.error());
    return;
  }
  PgConn monitor = ConnectAs(scene.db, scene.monitor);
  // What scanning needs, across centres.
  CHECK(Rows(monitor, "SELECT id, centre, status FROM hashwatch.cases") == 2);
  CHECK(Rows(monitor, "SELECT id, case_id, media_kind FROM hashwatch.items") == 2);
  CHECK(Rows(monitor, "SELECT id, item_id, type, hash, quality FROM hashwatch.signals") == 2);
  CHECK(Rows(monitor, "SELECT seq, kind, case_id, item_id FROM hashwatch.changes") == 2);
  // No labels, notes or source notes.
  CHECK(CodeOf(monitor, "SELECT label FROM hashwatch.cases") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(monitor, "SELECT notes FROM hashwatch.cases") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(monitor, "SELECT * FROM hashwatch.cases") == absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(monitor, "SELECT source_note FROM hashwatch.items") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(monitor, "SELECT * FROM hashwatch.audit_log") ==
        absl::StatusCode::kPermissionDenied);
  // Changes nothing: no withdrawal, no enrolment, no deletion.
  CHECK(CodeOf(monitor, "UPDATE hashwatch.cases SET status = 'withdrawn'") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(monitor, "INSERT INTO hashwatch.cases (id, centre) VALUES ('M-1', 'North')") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(
      CodeOf(monitor, "INSERT INTO hashwatch.items (case_id, media_kind) VALUES ('N-1', 'hash')") ==
      absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(monitor, "DELETE FROM hashwatch.signals") == absl::StatusCode::kPermissionDenied);
  // It records its scans, as itself.
  CHECK(monitor
            .Query("INSERT INTO hashwatch.audit_log (operator, action, details) VALUES ('crawler', "
                   "'scan', '{}')")
            .ok());
  CHECK(CodeOf(monitor,
               "INSERT INTO hashwatch.audit_log (role, operator, action, details) VALUES ($1, "
               "'x', 'scan', '{}')",
               {PgParam::Text(scene.north)}) == absl::StatusCode::kPermissionDenied);
}

TEST_CASE("Withdrawal by the owning centre is final and the only way a case stops matching",
          "[server]") {
  Scene scene;
  if (!scene.Ready()) {
    WARN("skipped: " << scene.db.error());
    return;
  }
  PgConn north = ConnectAs(scene.db, scene.north);
  CHECK(Affected(north, "UPDATE hashwatch.cases SET status = 'withdrawn' WHERE id = 'N-1'") == 1);
  // Recorded as a change every worker follows, with its time.
  CHECK(Rows(north,
             "SELECT * FROM hashwatch.changes WHERE kind = 'withdraw' AND case_id = 'N-1'") == 1);
  CHECK(Rows(north, "SELECT * FROM hashwatch.cases WHERE withdrawn_at IS NOT NULL") == 1);
  // Final: not reopened, and nothing more goes into it.
  CHECK(CodeOf(north, "UPDATE hashwatch.cases SET status = 'open' WHERE id = 'N-1'") ==
        absl::StatusCode::kFailedPrecondition);
  CHECK(CodeOf(north, "INSERT INTO hashwatch.items (case_id, media_kind) VALUES ('N-1', 'hash')") ==
        absl::StatusCode::kPermissionDenied);
  // The audit log is append-only for everyone who is not the owner.
  REQUIRE(north
              .Query("INSERT INTO hashwatch.audit_log (operator, action, details) VALUES ('amy', "
                     "'withdraw', '{}')")
              .ok());
  CHECK(CodeOf(north, "UPDATE hashwatch.audit_log SET operator = 'x'") ==
        absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(north, "DELETE FROM hashwatch.audit_log") == absl::StatusCode::kPermissionDenied);
  // A role that is neither staff nor monitor reads nothing at all.
  PgConn stranger = ConnectAs(scene.db, scene.stranger);
  CHECK(CodeOf(stranger, "SELECT id FROM hashwatch.cases") == absl::StatusCode::kPermissionDenied);
  CHECK(CodeOf(stranger, "SELECT hash FROM hashwatch.signals") ==
        absl::StatusCode::kPermissionDenied);
}

TEST_CASE("Server catalog set-up: idempotent, refuses passwords in URIs and unfit roles",
          "[server]") {
  TestDatabase db;
  REQUIRE_SERVER(db);
  absl::StatusOr<ServerInitResult> first = InitServerCatalog(db.OwnerUri());
  REQUIRE(first.ok());
  CHECK(first->from_version == 0);
  CHECK(first->to_version == catalog::pg::LatestServerSchemaVersion());
  absl::StatusOr<ServerInitResult> again = InitServerCatalog(db.OwnerUri());
  REQUIRE(again.ok());
  CHECK(again->from_version == again->to_version);
  // A password in the URI would sit on a command line.
  absl::StatusOr<ServerInitResult> secret =
      InitServerCatalog("postgresql://hashwatch_owner:hunter2@127.0.0.1:1/x");
  CHECK(secret.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(secret.status().message()), Catch::Contains(".pgpass"));
  CHECK(std::string(secret.status().message()).find("hunter2") == std::string::npos);
  // Roles: must exist; one centre each; never the owner.
  CHECK(AddCentreStaff(db.OwnerUri(), "North", "no_such_role_here").code() ==
        absl::StatusCode::kNotFound);
  const std::string amy = db.CreateLoginRole("amy");
  REQUIRE(AddCentreStaff(db.OwnerUri(), "North", amy).ok());
  CHECK(AddCentreStaff(db.OwnerUri(), "North", amy).ok());  // again: nothing changes
  CHECK(AddCentreStaff(db.OwnerUri(), "South", amy).code() == absl::StatusCode::kAlreadyExists);
  CHECK(AddCentreStaff(db.OwnerUri(), "North", "hashwatch_owner").code() ==
        absl::StatusCode::kFailedPrecondition);
  // Staff cannot run the owner's set-up.
  CHECK_FALSE(AddMonitor(db.UriAs(amy), amy).ok());
}

}  // namespace
}  // namespace hashwatch::testing
