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

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_COMMANDS_H_
