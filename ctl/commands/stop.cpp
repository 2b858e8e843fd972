// keelctl stop and restart: the same flags and request; only the call differs.
#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_stop(CLI::App& parent, Client& client, bool /*grouped*/) {
  for (const bool restart : {false, true}) {
    auto* cmd = parent.add_subcommand(
        restart ? "restart" : "stop",
        restart ? "Restart one or more containers" : "Stop one or more running containers");
    auto names = std::make_shared<std::vector<std::string>>();
    auto timeout = std::make_shared<int>(-1);
    cmd->add_option("-t,--time,--timeout", *timeout,
                    "Seconds to wait before killing the container");
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] {
      for_each_container(*names, [&](const std::string& name) {
        keel::v1::StopRequest request;
        request.set_id(name);
        request.set_timeout(*timeout);
        keel::v1::TaskStatus status;
        rpc::ClientContext context;
        auto stub = api::Tasks::NewStub(client.channel());
        client.check(restart ? stub->Restart(&context, request, &status)
                             : stub->Stop(&context, request, &status));
      });
    });
  }
}

}  // namespace keel::ctl
