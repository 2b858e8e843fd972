// keelctl rename: a container's new name.
#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_rename(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("rename", "Rename a container");
  auto name = std::make_shared<std::string>();
  auto new_name = std::make_shared<std::string>();
  cmd->add_option("container", *name, "CONTAINER")->required();
  cmd->add_option("new_name", *new_name, "NEW_NAME")->required();
  cmd->callback([=, &client] {
    keel::v1::RenameContainerRequest request;
    request.set_id(*name);
    request.set_new_name(*new_name);
    keel::v1::Container container;
    rpc::ClientContext context;
    client.check(api::Containers::NewStub(client.channel())->Rename(&context, request, &container));
  });
}

}  // namespace keel::ctl
