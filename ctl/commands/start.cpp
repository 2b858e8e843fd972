// keelctl start: starts stopped containers, or one of them attached (-a, -i).
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/container_attach.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

// docker start of several containers: each failure printed, then one line naming them all.
void start_detached(Client& client, const std::vector<std::string>& names) {
  std::vector<std::string> failed;
  for (const auto& name : names) {
    keel::v1::TaskRequest request;
    request.set_id(name);
    keel::v1::TaskStatus status;
    rpc::ClientContext context;
    try {
      client.check(api::Tasks::NewStub(client.channel())->Start(&context, request, &status));
      std::cout << name << "\n";
    } catch (const CommandError& error) {
      std::cerr << error.what() << "\n";
      failed.push_back(name);
    }
  }
  if (failed.empty())
    return;
  std::string list;
  for (const auto& name : failed)
    list += (list.empty() ? "" : ", ") + name;
  throw CommandError("Error: failed to start containers: " + list);
}

void start(Client& client, const std::vector<std::string>& names, bool attach, bool interactive,
           const std::string& keys) {
  if (!attach && !interactive) {
    start_detached(client, names);
    return;
  }
  if (names.size() > 1)
    throw CommandError("you cannot start and attach multiple containers at once");
  attach_existing(client, get_container(client, names[0]), interactive, /*start=*/true,
                  /*sig_proxy=*/true, keys);
}

}  // namespace

void add_start(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("start", "Start one or more stopped containers");
  auto names = std::make_shared<std::vector<std::string>>();
  auto attach = std::make_shared<bool>(false);
  auto interactive = std::make_shared<bool>(false);
  auto keys = std::make_shared<std::string>();
  cmd->add_flag("-a,--attach", *attach, "Attach STDOUT/STDERR and forward signals");
  cmd->add_flag("-i,--interactive", *interactive, "Attach container's STDIN");
  cmd->add_option("--detach-keys", *keys, "Override the key sequence for detaching a container");
  cmd->add_option("containers", *names, "CONTAINER...")->required();
  cmd->callback([=, &client] { start(client, *names, *attach, *interactive, *keys); });
}

}  // namespace keel::ctl
