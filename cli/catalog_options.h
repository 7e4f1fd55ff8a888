// Options and opening shared by the catalog commands (enroll, scan, withdraw,
// export, import, stats), so that --db and --operator read the same
// everywhere and a missing catalog is reported the same way.
#ifndef HASHWATCH_CLI_CATALOG_OPTIONS_H_
#define HASHWATCH_CLI_CATALOG_OPTIONS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "hashwatch/catalog.h"

namespace hashwatch::cli {

// --db FILE (required)
void AddDbOption(CLI::App* cmd, std::string& db);
// --db for the commands that only work on a server catalog (server, queue).
void AddServerDbOption(CLI::App* cmd, std::string& db);
// --operator NAME (default: the login name)
void AddOperatorOption(CLI::App* cmd, std::string& operator_name);
// --case ID, checked with ValidateCaseId while parsing (a bad id is a usage
// error, exit 2).
void AddCaseOption(CLI::App* cmd, std::string& case_id, const std::string& help, bool required);

// --embedding (the default model) and --embedding-model FILE (another
// model's settings, docs/embedding.md): the catalog's embedding signal.
struct EmbeddingArgs {
  bool on = false;
  std::string settings;
};
void AddEmbeddingOptions(CLI::App* cmd, EmbeddingArgs& args);
// Loads the model the options ask for into options->embedding; false (after
// printing why) when it cannot be loaded.
bool ApplyEmbeddingOptions(const std::string& command, const EmbeddingArgs& args,
                           CatalogOptions* options);

// Opens the catalog, or prints "hashwatch COMMAND: <why>" to stderr and
// returns nullptr. `create` makes a missing file (mode 0600).
std::unique_ptr<Catalog> OpenCatalogOrReport(const std::string& command, const std::string& db,
                                             bool create, const CatalogOptions& base = {});

// Prints "hashwatch COMMAND: message" to stderr.
void ReportError(const std::string& command, const absl::Status& status);

}  // namespace hashwatch::cli

#endif  // HASHWATCH_CLI_CATALOG_OPTIONS_H_
