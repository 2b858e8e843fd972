// `keel pause ID` and `keel resume ID`: runc's freezer commands; behaviour in lifecycle/pause.cpp.
#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {

void add_pause(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("pause", "Suspend all processes inside the container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->callback([&g, id] {
    g.action = exits_zero([&g, id] { return runtime::pause_container(g.store(), *id); });
  });
}

void add_resume(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("resume", "Resume all processes of a paused container");
  auto id = std::make_shared<std::string>();
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->callback([&g, id] {
    g.action = exits_zero([&g, id] { return runtime::resume_container(g.store(), *id); });
  });
}

}  // namespace keel::cli
