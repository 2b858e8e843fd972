// `keel events [--stats] [--interval D] ID`: runc's events; behaviour in lifecycle/events.cpp.
#include <cstdio>

#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {

void add_events(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "events", "Display container events: OOM notices and cpu, memory and IO statistics");
  auto o = std::make_shared<runtime::EventsOptions>();
  auto interval = std::make_shared<std::string>("5s");
  cmd->add_option("container-id", o->id, "Container ID")->required();
  cmd->add_flag("--stats", o->stats, "display the container's stats once, then exit");
  cmd->add_option("--interval", *interval, "stats collection interval (default 5s)");
  cmd->callback([&g, o, interval] {
    g.action = exits_zero([&g, o, interval]() -> Result<void> {
      auto ms = runtime::parse_interval_ms(*interval);
      if (!ms)
        return ms.error();
      o->interval_ms = *ms;
      // Flushed per event: a reader on a pipe sees each one as it happens.
      return runtime::container_events(g.store(), *o, [](std::string_view line) {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fflush(stdout);
      });
    });
  });
}

}  // namespace keel::cli
