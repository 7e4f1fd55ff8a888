#include "catalog_options.h"

#include <cstdio>

#include "absl/strings/str_split.h"
#include "hashwatch/embedding.h"
#include "hashwatch/text.h"

namespace hashwatch::cli {

void AddDbOption(CLI::App* cmd, std::string& db) {
  cmd->add_option("--db", db,
                  "The catalog: a file (SQLite; created with mode 0600 when new), or "
                  "postgresql://USER@HOST:PORT/DATABASE for the shared catalog on a server "
                  "(password from ~/.pgpass or PGPASSFILE; docs/deployment.md)")
      ->required()
      ->type_name("FILE|URI");
}

void AddServerDbOption(CLI::App* cmd, std::string& db) {
  cmd->add_option("--db", db,
                  "The server catalog: postgresql://USER@HOST:PORT/DATABASE (password from "
                  "~/.pgpass or PGPASSFILE, never in the URI; TLS: ?sslmode=verify-full)")
      ->required()
      ->type_name("URI");
}

namespace {

// A CLI11 check that asks the engine: the option is refused with the
// engine's own message, so the command line and the library agree.
CLI::Validator EngineCheck(absl::Status (*check)(const std::string&), const char* name) {
  return CLI::Validator(
      [check](std::string& value) {
        absl::Status s = check(value);
        return s.ok() ? std::string() : std::string(s.message());
      },
      "", name);
}

}  // namespace

void AddOperatorOption(CLI::App* cmd, std::string& operator_name) {
  cmd->add_option("--operator", operator_name,
                  "Who is doing this, for the audit log (default: your login name); up to 100 "
                  "bytes, no control characters")
      ->type_name("NAME")
      ->check(EngineCheck(&ValidateOperatorName, "OperatorName"));
}

void AddCaseOption(CLI::App* cmd, std::string& case_id, const std::string& help, bool required) {
  CLI::Option* opt = cmd->add_option("--case", case_id, help)
                         ->type_name("ID")
                         ->check(EngineCheck(&ValidateCaseId, "CaseId"));
  if (required) opt->required();
}

void AddEmbeddingOptions(CLI::App* cmd, EmbeddingArgs& args) {
  cmd->add_flag("--embedding", args.on,
                "Photos: also use the embedding signal (a neural network's descriptor of the "
                "whole picture; docs/embedding.md): enrolment stores it, a scan verifies the "
                "known images nearest to it. Give it to enroll and scan alike. Off by default: "
                "docs/embedding.md measures what it earns");
  cmd->add_option("--embedding-model", args.settings,
                  "The embedding model's settings file (model.json) instead of the default "
                  "model made by the set-up command; implies --embedding")
      ->type_name("FILE");
}

bool ApplyEmbeddingOptions(const std::string& command, const EmbeddingArgs& args,
                           CatalogOptions* options) {
  if (!args.on && args.settings.empty()) return true;
  absl::StatusOr<std::shared_ptr<const EmbeddingModel>> model = EmbeddingModel::LoadSettings(
      args.settings.empty() ? DefaultEmbeddingModelSettingsPath() : args.settings);
  if (!model.ok()) {
    ReportError(command, model.status());
    return false;
  }
  options->embedding = *std::move(model);
  return true;
}

void ReportError(const std::string& command, const absl::Status& status) {
  // Messages may quote file names and list lines: each line is shown through
  // PrintableText, so no control character reaches the terminal raw.
  std::string shown;
  for (absl::string_view line : absl::StrSplit(status.message(), '\n')) {
    if (!shown.empty()) shown += '\n';
    shown += PrintableText(std::string_view(line.data(), line.size()));
  }
  std::fprintf(stderr, "hashwatch %s: %s\n", command.c_str(), shown.c_str());
}

std::unique_ptr<Catalog> OpenCatalogOrReport(const std::string& command, const std::string& db,
                                             bool create, const CatalogOptions& base) {
  CatalogOptions options = base;
  options.create_if_missing = create;
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Open(db, options);
  if (!catalog.ok()) {
    ReportError(command, catalog.status());
    return nullptr;
  }
  return *std::move(catalog);
}

}  // namespace hashwatch::cli
