// keelctl version: this client's version and keeld's, as text or JSON (-f json).
#include <iostream>

#include <nlohmann/json.hpp>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

void version(Client& client, const std::string& format) {
  keel::v1::VersionRequest request;
  keel::v1::VersionResponse response;
  rpc::ClientContext context;
  const rpc::Status status =
      api::Version::NewStub(client.channel())->Version(&context, request, &response);
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
  // The client's half prints even when keeld is not there, as docker's does.
  std::cout << "Client:\n Version:     " KEEL_VERSION "\n API version: v1\n";
  client.check(status);
  std::cout << "\nServer:\n Version:     " << response.version()
            << "\n API version: " << response.api_version()
            << "\n Runtime:     " << response.runtime() << " (" << response.runtime_version() << ")"
            << "\n OS/Arch:     " << response.os() << "/" << response.arch()
            << "\n Kernel:      " << response.kernel() << "\n";
}

}  // namespace

void add_version(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("version", "Show the keelctl and keeld version information");
  auto format = std::make_shared<std::string>();
  cmd->add_option("-f,--format", *format, "json for JSON output");
  cmd->callback([=, &client] { version(client, *format); });
}

}  // namespace keel::ctl
