// keelctl attach: joins a running container's stdio (container_attach.h).
#include "ctl/commands/commands.h"
#include "ctl/container_attach.h"
#include "ctl/container_helpers.h"

namespace keel::ctl {
namespace {

void attach(Client& client, const std::string& name, bool no_stdin, bool sig_proxy,
            const std::string& keys) {
  const keel::v1::Container container = get_container(client, name);
  const std::string& status = container.state().status();
  if (status == "paused")
    throw CommandError("You cannot attach to a paused container, unpause it first");
  if (status != "running" && status != "restarting")
    throw CommandError("You cannot attach to a stopped container, start it first");
  attach_existing(client, container, !no_stdin, /*start=*/false, sig_proxy, keys);
}

}  // namespace

void add_attach(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand(
      "attach", "Attach local standard input, output, and error streams to a running container");
  auto name = std::make_shared<std::string>();
  auto no_stdin = std::make_shared<bool>(false);
  auto sig_proxy = std::make_shared<bool>(true);
  auto keys = std::make_shared<std::string>();
  cmd->add_flag("--no-stdin", *no_stdin, "Do not attach STDIN");
  cmd->add_option("--sig-proxy", *sig_proxy, "Proxy all received signals to the process")
      ->default_str("true");
  cmd->add_option("--detach-keys", *keys, "Override the key sequence for detaching a container");
  cmd->add_option("container", *name, "CONTAINER")->required();
  cmd->callback([=, &client] { attach(client, *name, *no_stdin, *sig_proxy, *keys); });
}

}  // namespace keel::ctl
