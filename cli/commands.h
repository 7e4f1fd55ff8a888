// The hashwatch subcommands. Each Register* adds one subcommand to the app;
// when it runs, its callback stores the process exit status in `exit_code`:
// 0 every input processed, 1 some inputs failed (the rest still processed
// and printed), 2 usage or fatal error.
#ifndef HASHWATCH_CLI_COMMANDS_H_
#define HASHWATCH_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hashwatch::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitSomeFailed = 1;
inline constexpr int kExitUsage = 2;

void RegisterHashCommand(CLI::App& app, int& exit_code);  // hash_command.cc
// The catalog: known content as hashes (docs/catalog.md).
void RegisterEnrollCommand(CLI::App& app, int& exit_code);    // enroll_command.cc
void RegisterScanCommand(CLI::App& app, int& exit_code);      // scan_command.cc
void RegisterWithdrawCommand(CLI::App& app, int& exit_code);  // withdraw_command.cc
void RegisterExportCommand(CLI::App& app, int& exit_code);    // export_command.cc
void RegisterImportCommand(CLI::App& app, int& exit_code);    // import_command.cc
void RegisterStatsCommand(CLI::App& app, int& exit_code);     // stats_command.cc
void RegisterVerifyCommand(CLI::App& app, int& exit_code);    // verify_command.cc
// The shared catalog on a PostgreSQL server (docs/deployment.md).
void RegisterServerCommand(CLI::App& app, int& exit_code);  // server_command.cc
void RegisterQueueCommand(CLI::App& app, int& exit_code);   // queue_command.cc
void RegisterWorkerCommand(CLI::App& app, int& exit_code);  // worker_command.cc

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_COMMANDS_H_
