// hashwatch server: set up the shared catalog on a PostgreSQL server and say
// who works in it (hashwatch/server_catalog.h, docs/deployment.md).
#include <cstdio>
#include <string>

#include "catalog_options.h"
#include "commands.h"
#include "hashwatch/server_catalog.h"

namespace hashwatch::cli {
namespace {

struct ServerArgs {
  std::string db;
  std::string centre;
  std::string role;
};

int Report(const char* what, const absl::Status& s) {
  if (s.ok()) return kExitOk;
  ReportError(what, s);
  return kExitSomeFailed;
}

}  // namespace

void RegisterServerCommand(CLI::App& app, int& exit_code) {
  CLI::App* server = app.add_subcommand(
      "server", "Set up the shared catalog on a PostgreSQL server, and say who works in it");
  server->require_subcommand(1);
  server->footer(
      "Run as the database's owner role. The catalog lives in the schema\n"
      "'hashwatch'; a centre's staff (ordinary login roles) see and change only their\n"
      "centre's cases; a monitor role reads hashes and case ids, never labels or\n"
      "notes, and changes nothing. PostgreSQL enforces both (row-level security).\n"
      "Credentials: libpq's ~/.pgpass, PGPASSFILE or PGPASSWORD; a password inside\n"
      "the URI is refused (command lines are visible to every user).\n"
      "Exit status: 0 done, 1 the server refused or failed, 2 usage error.\n"
      "Details: docs/deployment.md");

  auto init = std::make_shared<ServerArgs>();
  CLI::App* init_cmd = server->add_subcommand(
      "init", "Install the catalog into the database, or migrate an older one in place");
  init_cmd->footer(
      "One transaction: all or nothing; safe to run again. Creates the group roles\n"
      "hashwatch_staff and hashwatch_monitor when missing (needs CREATEROLE).\n"
      "Example: hashwatch server init --db postgresql://hashwatch_owner@db.example/hashwatch");
  AddServerDbOption(init_cmd, init->db);
  init_cmd->callback([init, &exit_code] {
    absl::StatusOr<ServerInitResult> r = InitServerCatalog(init->db);
    if (!r.ok()) {
      exit_code = Report("server init", r.status());
      return;
    }
    if (r->from_version == r->to_version) {
      std::printf("catalog schema version %d: up to date\n", r->to_version);
    } else if (r->from_version == 0) {
      std::printf("catalog installed: schema version %d\n", r->to_version);
    } else {
      std::printf("catalog migrated: schema version %d -> %d\n", r->from_version, r->to_version);
    }
    exit_code = kExitOk;
  });

  auto centre = std::make_shared<ServerArgs>();
  CLI::App* centre_cmd = server->add_subcommand(
      "add-staff", "Make a login role staff of a centre (the centre is created when new)");
  centre_cmd->footer(
      "The role then enrols, labels and withdraws that centre's cases and sees no\n"
      "other centre's. A role is staff of one centre. Create the login role first\n"
      "(CREATE ROLE amy LOGIN PASSWORD ...), as the server's administrator.\n"
      "Example: hashwatch server add-staff --db URI --centre Busan --role amy");
  AddServerDbOption(centre_cmd, centre->db);
  centre_cmd->add_option("--centre", centre->centre, "The centre's name")->required();
  centre_cmd->add_option("--role", centre->role, "An existing login role")->required();
  centre_cmd->callback([centre, &exit_code] {
    exit_code =
        Report("server add-staff", AddCentreStaff(centre->db, centre->centre, centre->role));
    if (exit_code == kExitOk) {
      std::printf("role %s: staff of centre %s\n", centre->role.c_str(), centre->centre.c_str());
    }
  });

  auto monitor = std::make_shared<ServerArgs>();
  CLI::App* monitor_cmd =
      server->add_subcommand("add-monitor", "Let a login role scan (read hashes and case ids)");
  monitor_cmd->footer("Example: hashwatch server add-monitor --db URI --role crawler");
  AddServerDbOption(monitor_cmd, monitor->db);
  monitor_cmd->add_option("--role", monitor->role, "An existing login role")->required();
  monitor_cmd->callback([monitor, &exit_code] {
    exit_code = Report("server add-monitor", AddMonitor(monitor->db, monitor->role));
    if (exit_code == kExitOk) std::printf("role %s: monitor\n", monitor->role.c_str());
  });
}

}  // namespace hashwatch::cli
