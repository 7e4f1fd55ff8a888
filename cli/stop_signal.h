// A graceful stop for commands that work through many files: SIGTERM (a
// service manager stopping the command) or SIGINT (Ctrl-C) asks the command
// to take no new files, finish and report the ones in flight, and exit. A
// second SIGINT ends the process at once.
#ifndef HASHWATCH_CLI_STOP_SIGNAL_H_
#define HASHWATCH_CLI_STOP_SIGNAL_H_

namespace hashwatch::cli {

// Installs the handlers (once per process; further calls do nothing).
void InstallStopHandlers();

// The signal that asked for the stop, or 0. Safe from any thread.
int StopSignal();

// The exit status of a command that stopped on `signal`: 128 + signal, as a
// shell reports a process the signal ended (143 for SIGTERM), so a script can
// tell a finished run from an interrupted one.
int StoppedExitCode(int signal);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_STOP_SIGNAL_H_
