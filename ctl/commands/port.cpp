// keelctl port: the host addresses a container's published ports answer on, as docker prints
// them ("80/tcp -> 127.0.0.1:8080"; the host side alone when one port is asked for).
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

void port(Client& client, const std::string& name, std::string wanted) {
  keel::v1::ContainerRequest request;
  request.set_id(name);
  keel::v1::Container container;
  rpc::ClientContext context;
  client.check(api::Containers::NewStub(client.channel())->Get(&context, request, &container));
  if (!wanted.empty() && wanted.find('/') == std::string::npos)
    wanted += "/tcp";
  const auto& settings = container.network_settings();
  bool found = false;
  // A stopped container holds no port.
  if (!settings.ip_address().empty()) {
    for (const auto& binding : settings.ports()) {
      const std::string key = std::to_string(binding.container_port()) + "/" + binding.protocol();
      const std::string host =
          (binding.host_ip().empty() ? std::string("0.0.0.0") : binding.host_ip()) + ":" +
          std::to_string(binding.host_port());
      if (wanted.empty())
        std::cout << key << " -> " << host << "\n";
      else if (key == wanted)
        std::cout << host << "\n";
      found = found || wanted.empty() || key == wanted;
    }
  }
  if (!wanted.empty() && !found)
    throw CommandError("No public port '" + wanted + "' published for " + name, 1);
}

}  // namespace

void add_port(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd =
      parent.add_subcommand("port", "List port mappings or a specific mapping for the container");
  auto name = std::make_shared<std::string>();
  auto wanted = std::make_shared<std::string>();
  cmd->add_option("container", *name, "CONTAINER")->required();
  cmd->add_option("port", *wanted, "PRIVATE_PORT[/PROTO]");
  cmd->callback([=, &client] { port(client, *name, *wanted); });
}

}  // namespace keel::ctl
