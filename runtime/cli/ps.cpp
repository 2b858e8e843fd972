// `keel ps [-f table|json] ID [PS ARGS...]`: runc's ps; behaviour in lifecycle/ps.cpp.
#include <cstdio>

#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {

void add_ps(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("ps", "Display the processes running inside a container");
  auto id = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("table");
  auto ps_args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-f,--format", *format, "table or json")->check(CLI::IsMember({"table", "json"}));
  cmd->add_option("container-id", *id, "Container ID")->required();
  cmd->add_option("ps-args", *ps_args, "arguments for ps (default -ef)");
  // Everything after the id belongs to ps, dashes included (`keel ps ID -o pid,comm`).
  cmd->positionals_at_end(true);
  cmd->callback([&g, id, format, ps_args] {
    if (!ps_args->empty() && ps_args->front() == "--")
      ps_args->erase(ps_args->begin());
    g.action = exits_zero([&g, id, format, ps_args]() -> Result<void> {
      const auto f = *format == "json" ? runtime::PsFormat::kJson : runtime::PsFormat::kTable;
      auto out = runtime::container_ps(g.store(), *id, f, *ps_args);
      if (!out)
        return out.error();
      std::fputs(out->c_str(), stdout);
      return {};
    });
  });
}

}  // namespace keel::cli
