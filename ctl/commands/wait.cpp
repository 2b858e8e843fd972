// keelctl wait: blocks until each container stops and prints its exit code.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_wait(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("wait",
                                    "Block until one or more containers stop, then "
                                    "print their exit codes");
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("containers", *names, "CONTAINER...")->required();
  cmd->callback([=, &client] {
    for_each_container(
        *names,
        [&](const std::string& name) {
          keel::v1::TaskRequest request;
          request.set_id(name);
          keel::v1::TaskStatus status;
          rpc::ClientContext context;
          client.check(api::Tasks::NewStub(client.channel())->Wait(&context, request, &status));
          std::cout << status.exit_code() << std::endl;
        },
        false);
  });
}

}  // namespace keel::ctl
