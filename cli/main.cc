// hashwatch: the command line for deletion-support staff.
#include <cstdio>
#include <exception>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "hashwatch: find copies of known images by their perceptual hashes.\n"
      "Hashes only: no pixels are ever stored or printed."};
  app.name("hashwatch");
  app.require_subcommand(1);
  app.set_version_flag("--version", "hashwatch 0.1.0");
  int exit_code = hashwatch::cli::kExitOk;
  hashwatch::cli::RegisterHashCommand(app, exit_code);
  hashwatch::cli::RegisterEnrollCommand(app, exit_code);
  hashwatch::cli::RegisterScanCommand(app, exit_code);
  hashwatch::cli::RegisterWithdrawCommand(app, exit_code);
  hashwatch::cli::RegisterExportCommand(app, exit_code);
  hashwatch::cli::RegisterImportCommand(app, exit_code);
  hashwatch::cli::RegisterStatsCommand(app, exit_code);
  hashwatch::cli::RegisterVerifyCommand(app, exit_code);
  hashwatch::cli::RegisterServerCommand(app, exit_code);
  hashwatch::cli::RegisterQueueCommand(app, exit_code);
  hashwatch::cli::RegisterWorkerCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return hashwatch::cli::kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashwatch: %s\n", e.what());
    return hashwatch::cli::kExitUsage;
  }
  return exit_code;
}
