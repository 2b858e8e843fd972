// version, and the system group (prune).
#include <iostream>

#include "ctl/commands.h"
#include "ctl/format.h"
#include "keel/v1/images.grpc.pb.h"
#include "keel/v1/version.grpc.pb.h"

namespace keel::ctl {
namespace {

void version(Client& client, const std::string& format) {
  keel::v1::VersionRequest request;
  keel::v1::VersionResponse response;
  grpc::ClientContext context;
  const grpc::Status status =
      keel::v1::Version::NewStub(client.channel())->Version(&context, request, &response);
  if (format == "json") {
    nlohmann::json out = {{"Client", {{"Version", KEEL_VERSION}, {"ApiVersion", "v1"}}}};
    if (status.ok())
      out["Server"] = {{"Version", response.version()},
                       {"ApiVersion", response.api_version()},
                       {"Runtime", response.runtime()},
                       {"RuntimeVersion", response.runtime_version()},
                       {"Os", response.os()},
                       {"Arch", response.arch()},
                       {"KernelVersion", response.kernel()}};
    std::cout << out.dump() << "\n";
    client.check(status);
    return;
  }
  std::cout << "Client:\n Version:     " KEEL_VERSION "\n API version: v1\n";
  client.check(status);
  std::cout << "\nServer:\n Version:     " << response.version()
            << "\n API version: " << response.api_version()
            << "\n Runtime:     " << response.runtime() << " (" << response.runtime_version() << ")"
            << "\n OS/Arch:     " << response.os() << "/" << response.arch()
            << "\n Kernel:      " << response.kernel() << "\n";
}

void system_prune(Client& client, bool all, bool force) {
  if (!force) {
    std::cout << "WARNING! This will remove:\n  - all stopped containers\n"
                 "  - all dangling images\n  - unused content and snapshots\n\n"
                 "Are you sure you want to continue? [y/N] "
              << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y")
      return;
  }
  keel::v1::PruneRequest request;
  request.set_all(all);
  keel::v1::PruneResponse response;
  grpc::ClientContext context;
  client.check(keel::v1::Images::NewStub(client.channel())->Prune(&context, request, &response));
  if (!response.deleted().empty()) {
    std::cout << "Deleted Images:\n";
    for (const auto& line : response.deleted())
      std::cout << line << "\n";
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: "
            << human_size(static_cast<double>(response.space_reclaimed())) << "\n";
}

}  // namespace

void add_system_commands(CLI::App& app, Client& client) {
  {
    auto* cmd = app.add_subcommand("version", "Show the keelctl and keeld version information");
    auto format = std::make_shared<std::string>();
    cmd->add_option("-f,--format", *format, "json for JSON output");
    cmd->callback([=, &client] { version(client, *format); });
  }
  auto* group = app.add_subcommand("system", "Manage keeld");
  group->require_subcommand(1);
  auto* prune = group->add_subcommand("prune", "Remove unused data");
  auto all = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  prune->add_flag("-a,--all", *all, "Remove all unused images not just dangling ones");
  prune->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  prune->callback([=, &client] { system_prune(client, *all, *force); });
}

}  // namespace keel::ctl
