// keelctl logout: keeld forgets a registry's stored credentials.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_logout(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("logout", "Log out from a registry");
  auto server = std::make_shared<std::string>();
  cmd->add_option("SERVER", *server, "The registry (default: Docker Hub)");
  cmd->callback([server, &client] {
    keel::v1::LogoutRequest request;
    request.set_server(*server);
    keel::v1::LogoutResponse response;
    rpc::ClientContext context;
    client.check(api::Registry::NewStub(client.channel())->Logout(&context, request, &response));
    std::cout << response.status() << "\n";
  });
}

}  // namespace keel::ctl
