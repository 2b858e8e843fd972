// keelctl kill: a signal (KILL unless -s) to each container's process.
#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_kill(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("kill", "Kill one or more running containers");
  auto names = std::make_shared<std::vector<std::string>>();
  auto signal = std::make_shared<std::string>("KILL");
  cmd->add_option("-s,--signal", *signal, "Signal to send to the container")->capture_default_str();
  cmd->add_option("containers", *names, "CONTAINER...")->required();
  cmd->callback([=, &client] {
    for_each_container(*names, [&](const std::string& name) {
      keel::v1::KillRequest request;
      request.set_id(name);
      request.set_signal(*signal);
      keel::v1::Empty empty;
      rpc::ClientContext context;
      client.check(api::Tasks::NewStub(client.channel())->Kill(&context, request, &empty));
    });
  });
}

}  // namespace keel::ctl
