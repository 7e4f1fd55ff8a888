#include "catalog/pg/pg_schema.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace hashwatch::catalog::pg {
namespace {

// Keeps two migrations from running at once (any constant unique to us).
constexpr int64_t kMigrationLock = 0x6861736877617401;

// Version 1: centres, cases, items, signals, the audit log, the change
// sequence, the two group roles and their row-level security.
constexpr char kVersion1[] = R"sql(
-- Roles belong to the whole cluster: another database's catalog may be
-- creating them at this very moment (its advisory lock is its database's).
DO $$ BEGIN
  BEGIN
    CREATE ROLE hashwatch_staff NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
  BEGIN
    CREATE ROLE hashwatch_monitor NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END;
END $$;

CREATE SCHEMA hashwatch;
REVOKE ALL ON SCHEMA hashwatch FROM PUBLIC;
GRANT USAGE ON SCHEMA hashwatch TO hashwatch_staff, hashwatch_monitor;

CREATE TABLE hashwatch.meta (key text PRIMARY KEY, value text NOT NULL);

CREATE TABLE hashwatch.centres (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 100),
  created timestamptz NOT NULL DEFAULT now());

CREATE TABLE hashwatch.centre_staff (
  role_name name PRIMARY KEY,
  centre text NOT NULL REFERENCES hashwatch.centres (id));

-- The centre of the role running the query; NULL for a role that is no
-- centre's staff. Reads centre_staff under its row-level security (a staff
-- role sees its own row only).
CREATE FUNCTION hashwatch.my_centre() RETURNS text
  LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
  AS $f$ SELECT centre FROM hashwatch.centre_staff WHERE role_name = current_user $f$;

CREATE TABLE hashwatch.cases (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
  centre text NOT NULL DEFAULT hashwatch.my_centre() REFERENCES hashwatch.centres (id),
  label text NOT NULL DEFAULT '',
  notes text NOT NULL DEFAULT '',
  created timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'withdrawn')),
  withdrawn_at timestamptz);

CREATE TABLE hashwatch.items (
  id bigserial PRIMARY KEY,
  case_id text NOT NULL REFERENCES hashwatch.cases (id),
  media_kind text NOT NULL CHECK (media_kind IN ('image', 'video', 'hash')),
  sha256 bytea CHECK (sha256 IS NULL OR length(sha256) = 32),
  size bigint,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  source_note text NOT NULL DEFAULT '',
  duration double precision,
  sample_interval double precision);
CREATE INDEX items_case ON hashwatch.items (case_id, sha256);

CREATE TABLE hashwatch.signals (
  id bigserial PRIMARY KEY,
  item_id bigint NOT NULL REFERENCES hashwatch.items (id),
  type text NOT NULL,
  frame_time double precision,
  hash bytea NOT NULL,
  quality integer CHECK (quality IS NULL OR quality BETWEEN 0 AND 100),
  frame_end double precision,
  frame_samples integer,
  frame_number bigint);
CREATE INDEX signals_item ON hashwatch.signals (item_id);

CREATE TABLE hashwatch.audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  role name NOT NULL DEFAULT current_user,
  centre text DEFAULT hashwatch.my_centre(),
  operator text NOT NULL,
  action text NOT NULL,
  details jsonb NOT NULL);

CREATE TABLE hashwatch.changes (
  seq bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  kind text NOT NULL CHECK (kind IN ('item', 'withdraw')),
  case_id text NOT NULL,
  item_id bigint);

-- A change for every enrolled or imported item and every withdrawal. The
-- advisory lock, held to the end of the writing transaction, makes writers
-- take their numbers one at a time, so numbers are in commit order: a
-- follower that has read every change up to N has missed none below it.
CREATE FUNCTION hashwatch.log_change() RETURNS trigger
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
  AS $f$
BEGIN
  PERFORM pg_advisory_xact_lock(7523094288207667809);
  IF TG_TABLE_NAME = 'items' THEN
    INSERT INTO hashwatch.changes (kind, case_id, item_id) VALUES ('item', NEW.case_id, NEW.id);
  ELSE
    INSERT INTO hashwatch.changes (kind, case_id) VALUES ('withdraw', NEW.id);
  END IF;
  PERFORM pg_notify('hashwatch_changes', '');
  RETURN NULL;
END $f$;
CREATE TRIGGER items_change AFTER INSERT ON hashwatch.items
  FOR EACH ROW EXECUTE FUNCTION hashwatch.log_change();
CREATE TRIGGER cases_withdrawn AFTER UPDATE OF status ON hashwatch.cases
  FOR EACH ROW WHEN (OLD.status = 'open' AND NEW.status = 'withdrawn')
  EXECUTE FUNCTION hashwatch.log_change();

-- A case's identity never changes, and a withdrawal is final.
CREATE FUNCTION hashwatch.guard_case() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  AS $f$
BEGIN
  IF NEW.id <> OLD.id OR NEW.centre <> OLD.centre OR NEW.created <> OLD.created THEN
    RAISE EXCEPTION 'a case''s id, centre and creation time never change' USING ERRCODE = '55000';
  END IF;
  IF OLD.status = 'withdrawn' AND NEW.status <> 'withdrawn' THEN
    RAISE EXCEPTION 'case % is withdrawn: a withdrawal is final', OLD.id USING ERRCODE = '55000';
  END IF;
  IF OLD.status = 'open' AND NEW.status = 'withdrawn' THEN
    NEW.withdrawn_at := now();
  END IF;
  RETURN NEW;
END $f$;
CREATE TRIGGER cases_guard BEFORE UPDATE ON hashwatch.cases
  FOR EACH ROW EXECUTE FUNCTION hashwatch.guard_case();

-- Privileges: nothing for PUBLIC; each group role what its work needs.
GRANT SELECT ON hashwatch.meta, hashwatch.centres TO hashwatch_staff, hashwatch_monitor;
GRANT SELECT ON hashwatch.centre_staff TO hashwatch_staff, hashwatch_monitor;
GRANT EXECUTE ON FUNCTION hashwatch.my_centre() TO hashwatch_staff, hashwatch_monitor;
GRANT SELECT, INSERT ON hashwatch.cases, hashwatch.items, hashwatch.signals TO hashwatch_staff;
GRANT UPDATE (label, notes, status) ON hashwatch.cases TO hashwatch_staff;
GRANT SELECT (id, centre, status) ON hashwatch.cases TO hashwatch_monitor;
GRANT SELECT (id, case_id, media_kind, duration, sample_interval) ON hashwatch.items
  TO hashwatch_monitor;
GRANT SELECT ON hashwatch.signals, hashwatch.changes TO hashwatch_monitor;
GRANT SELECT ON hashwatch.changes TO hashwatch_staff;
GRANT SELECT, INSERT ON hashwatch.audit_log TO hashwatch_staff;
GRANT INSERT ON hashwatch.audit_log TO hashwatch_monitor;
GRANT USAGE ON SEQUENCE hashwatch.items_id_seq, hashwatch.signals_id_seq,
  hashwatch.audit_log_id_seq TO hashwatch_staff;
GRANT USAGE ON SEQUENCE hashwatch.audit_log_id_seq TO hashwatch_monitor;

-- Row-level security: a centre's staff see and change their centre's rows
-- only; the monitor reads every case's hashes (through the columns granted
-- above); audit entries name the role that wrote them.
ALTER TABLE hashwatch.centre_staff ENABLE ROW LEVEL SECURITY;
ALTER TABLE hashwatch.cases ENABLE ROW LEVEL SECURITY;
ALTER TABLE hashwatch.items ENABLE ROW LEVEL SECURITY;
ALTER TABLE hashwatch.signals ENABLE ROW LEVEL SECURITY;
ALTER TABLE hashwatch.audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_row ON hashwatch.centre_staff FOR SELECT TO hashwatch_staff, hashwatch_monitor
  USING (role_name = current_user);
CREATE POLICY centre_cases ON hashwatch.cases FOR ALL TO hashwatch_staff
  USING (centre = hashwatch.my_centre()) WITH CHECK (centre = hashwatch.my_centre());
CREATE POLICY scan_cases ON hashwatch.cases FOR SELECT TO hashwatch_monitor USING (true);
-- (EXISTS on the parent's primary key: one index probe per row written; the
-- parent's own policy applies inside, so "visible" means "this centre's".)
CREATE POLICY centre_items ON hashwatch.items FOR ALL TO hashwatch_staff
  USING (EXISTS (SELECT 1 FROM hashwatch.cases c WHERE c.id = case_id))
  WITH CHECK (EXISTS (SELECT 1 FROM hashwatch.cases c WHERE c.id = case_id AND c.status = 'open'));
CREATE POLICY scan_items ON hashwatch.items FOR SELECT TO hashwatch_monitor USING (true);
CREATE POLICY centre_signals ON hashwatch.signals FOR ALL TO hashwatch_staff
  USING (EXISTS (SELECT 1 FROM hashwatch.items i WHERE i.id = item_id))
  WITH CHECK (EXISTS (SELECT 1 FROM hashwatch.items i WHERE i.id = item_id));
CREATE POLICY scan_signals ON hashwatch.signals FOR SELECT TO hashwatch_monitor USING (true);
-- The change sequence: staff see their centre's changes only (other
-- centres' case ids stay theirs), monitors all.
ALTER TABLE hashwatch.changes ENABLE ROW LEVEL SECURITY;
CREATE POLICY centre_changes ON hashwatch.changes FOR SELECT TO hashwatch_staff
  USING (EXISTS (SELECT 1 FROM hashwatch.cases c WHERE c.id = case_id));
CREATE POLICY scan_changes ON hashwatch.changes FOR SELECT TO hashwatch_monitor USING (true);
CREATE POLICY centre_audit ON hashwatch.audit_log FOR SELECT TO hashwatch_staff
  USING (centre = hashwatch.my_centre());
CREATE POLICY own_entries ON hashwatch.audit_log FOR INSERT TO hashwatch_staff, hashwatch_monitor
  WITH CHECK (role = current_user AND centre IS NOT DISTINCT FROM hashwatch.my_centre());
)sql";

// Version 2: the scan queue (docs/deployment.md, "Work shared among
// machines"): files to scan, claimed by workers with FOR UPDATE SKIP LOCKED
// under an expiring lease, and one result per file.
constexpr char kVersion2[] = R"sql(
CREATE TABLE hashwatch.jobs (
  id bigserial PRIMARY KEY,
  path text NOT NULL CHECK (length(path) BETWEEN 1 AND 4096),
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done', 'parked')),
  attempts integer NOT NULL DEFAULT 0,
  claimed_by text,
  claim_expires timestamptz,
  last_error text);
CREATE INDEX jobs_queued ON hashwatch.jobs (id) WHERE state = 'queued';

CREATE TABLE hashwatch.results (
  job_id bigint PRIMARY KEY REFERENCES hashwatch.jobs (id),
  path text NOT NULL,
  worker text NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now(),
  matched boolean NOT NULL,
  record jsonb NOT NULL);

CREATE FUNCTION hashwatch.announce_jobs() RETURNS trigger
  LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
  AS $f$ BEGIN PERFORM pg_notify('hashwatch_jobs', ''); RETURN NULL; END $f$;
CREATE TRIGGER jobs_added AFTER INSERT ON hashwatch.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION hashwatch.announce_jobs();

GRANT SELECT, INSERT, UPDATE ON hashwatch.jobs TO hashwatch_monitor;
GRANT SELECT, INSERT ON hashwatch.results TO hashwatch_monitor;
GRANT USAGE ON SEQUENCE hashwatch.jobs_id_seq TO hashwatch_monitor;
)sql";

struct Migration {
  int version;
  const char* sql;
};

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> kMigrations = {{1, kVersion1}, {2, kVersion2}};
  return kMigrations;
}

}  // namespace

int LatestServerSchemaVersion() {
  return Migrations().back().version;
}

absl::StatusOr<int> InstalledServerSchemaVersion(PgConn& conn) {
  absl::StatusOr<PgResult> exists = conn.Query("SELECT to_regclass('hashwatch.meta') IS NOT NULL");
  if (!exists.ok()) return exists.status();
  if (exists->Text(0, 0) != "t") return 0;
  absl::StatusOr<PgResult> v =
      conn.Query("SELECT value FROM hashwatch.meta WHERE key = 'schema_version'");
  if (!v.ok()) return v.status();
  if (v->rows() != 1) return 0;
  return static_cast<int>(std::stol(v->Text(0, 0)));
}

absl::StatusOr<int> MigrateServerSchema(PgConn& conn, int target) {
  absl::StatusOr<PgTransaction> txn = PgTransaction::Begin(&conn);
  if (!txn.ok()) return txn.status();
  if (absl::Status s =
          conn.Exec(absl::StrCat("SELECT pg_advisory_xact_lock(", kMigrationLock, ")"));
      !s.ok()) {
    return s;
  }
  absl::StatusOr<int> installed = InstalledServerSchemaVersion(conn);
  if (!installed.ok()) return installed.status();
  if (target < 1 || target > LatestServerSchemaVersion()) {
    return absl::InvalidArgumentError(absl::StrCat("no schema version ", target));
  }
  if (*installed > LatestServerSchemaVersion()) {
    return absl::FailedPreconditionError(absl::StrCat(
        conn.name(), ": the catalog's schema is version ", *installed, ", newer than this build's ",
        LatestServerSchemaVersion(), ": use a newer hashwatch"));
  }
  for (const Migration& m : Migrations()) {
    if (m.version <= *installed || m.version > target) continue;
    if (absl::Status s = conn.Exec(m.sql); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("migration to schema version ", m.version,
                                                 " failed (nothing was changed): ", s.message()));
    }
  }
  absl::StatusOr<PgResult> set = conn.Query(
      "INSERT INTO hashwatch.meta (key, value) VALUES ('schema_version', $1) "
      "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
      {PgParam::Int(std::max(*installed, target))});
  if (!set.ok()) return set.status();
  if (absl::Status s = txn->Commit(); !s.ok()) return s;
  return *installed;
}

absl::Status CheckServerSchema(PgConn& conn) {
  absl::StatusOr<int> installed = InstalledServerSchemaVersion(conn);
  if (!installed.ok()) return installed.status();
  if (*installed == LatestServerSchemaVersion()) return absl::OkStatus();
  if (*installed == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        conn.name(),
        ": no hashwatch catalog in this database: the database's owner runs `hashwatch server "
        "init --db URI` first"));
  }
  if (*installed < LatestServerSchemaVersion()) {
    return absl::FailedPreconditionError(
        absl::StrCat(conn.name(), ": the catalog's schema is version ", *installed,
                     ", this build needs ", LatestServerSchemaVersion(),
                     ": the database's owner runs `hashwatch server init --db URI` to migrate it"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      conn.name(), ": the catalog's schema is version ", *installed, ", newer than this build's ",
      LatestServerSchemaVersion(), ": use a newer hashwatch"));
}

}  // namespace hashwatch::catalog::pg
