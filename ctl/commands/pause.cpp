// keelctl pause and unpause: freezing and thawing each container's processes.
#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_pause(CLI::App& parent, Client& client, bool /*grouped*/) {
  for (const bool pause : {true, false}) {
    auto* cmd = parent.add_subcommand(pause ? "pause" : "unpause",
                                      pause ? "Pause all processes within one or more containers"
                                            : "Unpause all processes within one or more "
                                              "containers");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] {
      for_each_container(*names, [&](const std::string& name) {
        keel::v1::TaskRequest request;
        request.set_id(name);
        keel::v1::Empty empty;
        rpc::ClientContext context;
        auto stub = api::Tasks::NewStub(client.channel());
        client.check(pause ? stub->Pause(&context, request, &empty)
                           : stub->Resume(&context, request, &empty));
      });
    });
  }
}

}  // namespace keel::ctl
