// keelctl diff: the files a container added (A), changed (C) or deleted (D).
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_diff(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("diff",
                                    "Inspect changes to files or directories on a "
                                    "container's filesystem");
  auto name = std::make_shared<std::string>();
  cmd->add_option("container", *name, "CONTAINER")->required();
  cmd->callback([=, &client] {
    keel::v1::ContainerRequest request;
    request.set_id(*name);
    keel::v1::DiffResponse response;
    rpc::ClientContext context;
    client.check(api::Containers::NewStub(client.channel())->Diff(&context, request, &response));
    for (const auto& change : response.changes())
      std::cout << change.kind() << " " << change.path() << "\n";
  });
}

}  // namespace keel::ctl
