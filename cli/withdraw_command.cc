// hashwatch withdraw: a case stops matching, at once and for good.
#include <cstdio>
#include <string>

#include "catalog_options.h"
#include "commands.h"

namespace hashwatch::cli {
namespace {

struct WithdrawArgs {
  std::string db;
  std::string case_id;
  std::string operator_name;
};

int RunWithdraw(const WithdrawArgs& args) {
  std::unique_ptr<Catalog> catalog = OpenCatalogOrReport("withdraw", args.db, /*create=*/false);
  if (catalog == nullptr) return kExitUsage;
  absl::StatusOr<WithdrawResult> result = catalog->Withdraw(args.case_id, args.operator_name);
  if (!result.ok()) {
    ReportError("withdraw", result.status());
    return kExitSomeFailed;
  }
  if (result->already_withdrawn) {
    std::printf("case %s was already withdrawn; nothing changed\n", args.case_id.c_str());
  } else {
    std::printf("withdrew case %s: its %lld item(s) no longer match\n", args.case_id.c_str(),
                static_cast<long long>(result->items));
  }
  return kExitOk;
}

}  // namespace

void RegisterWithdrawCommand(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<WithdrawArgs>();
  CLI::App* cmd = app.add_subcommand(
      "withdraw", "Withdraw a case: its items stop matching and are no longer exported");
  cmd->footer(
      "The withdrawal and who made it are recorded in the audit log; the case's rows\n"
      "stay so that the log keeps its meaning. Nothing can be enrolled into a withdrawn\n"
      "case afterwards. A scan running meanwhile stops matching the case within\n"
      "seconds; a program linking the engine does when it calls Catalog::Refresh().\n"
      "Exit status: 0 withdrawn (or already withdrawn), 1 no such case or the write\n"
      "failed, 2 usage error or no usable catalog.\n"
      "Example: hashwatch withdraw --db cases.db --case 2024-0113\n"
      "Details: docs/catalog.md");
  AddDbOption(cmd, args->db);
  AddCaseOption(cmd, args->case_id, "The case to withdraw", /*required=*/true);
  AddOperatorOption(cmd, args->operator_name);
  cmd->callback([args, &exit_code] { exit_code = RunWithdraw(*args); });
}

}  // namespace hashwatch::cli
