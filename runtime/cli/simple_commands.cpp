// `keel start|state|kill|delete ID`: one positional id and a flag or two each.
#include <cstdio>

#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {

void add_start(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("start", "Execute the user process in a created container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->callback([&g, id] {
    g.action = exits_zero([&g, id] { return runtime::start_container(g.store(), *id); });
  });
}

void add_state(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("state", "Output the state of a container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->callback([&g, id] {
    g.action = exits_zero([&g, id]() -> Result<void> {
      auto json = runtime::container_state_json(g.store(), *id);
      if (!json)
        return json.error();
      std::fputs(json->c_str(), stdout);
      return {};
    });
  });
}

void add_kill(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("kill", "Send a signal to the container's init process");
  auto id = std::make_shared<std::string>();
  auto signal = std::make_shared<std::string>("SIGTERM");
  auto all = std::make_shared<bool>(false);
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->add_option("signal", *signal, "Signal name or number (default SIGTERM)");
  cmd->add_flag("-a,--all", *all, "send the signal to every process in the container");
  cmd->callback([&g, id, signal, all] {
    g.action = exits_zero(
        [&g, id, signal, all] { return runtime::kill_container(g.store(), *id, *signal, *all); });
  });
}

void add_delete(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("delete", "Delete a container and everything it holds");
  auto id = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->add_flag("-f,--force", *force, "kill the container first if it is running");
  cmd->callback([&g, id, force] {
    g.action =
        exits_zero([&g, id, force] { return runtime::delete_container(g.store(), *id, *force); });
  });
}

}  // namespace keel::cli
