// keelctl ps (container ls): the container table, IDs only (-q) or --format.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/container_rows.h"
#include "ctl/format.h"

namespace keel::ctl {
namespace {

struct PsFlags {
  bool all = false;
  bool quiet = false;
  bool no_trunc = false;
  bool size = false;
  bool latest = false;
  int last = -1;
  std::string format;
  std::vector<std::string> filters;
};

void ps(Client& client, const PsFlags& flags) {
  const int last = flags.latest ? 1 : flags.last;
  auto containers = list_containers(client, flags.all || last > 0, flags.filters);
  if (last >= 0 && containers.size() > static_cast<std::size_t>(last))
    containers.resize(static_cast<std::size_t>(last));
  if (flags.quiet) {
    for (const auto& container : containers)
      std::cout << (flags.no_trunc ? container.id() : short_id(container.id())) << "\n";
    return;
  }
  const auto now = std::chrono::system_clock::now();
  std::vector<Row> rows;
  for (const auto& container : containers)
    rows.push_back(ps_row(container, flags.no_trunc, now));
  try {
    std::cout << render_rows(flags.format, kPsTable, rows, ps_headers());
  } catch (const FormatError& error) {
    throw CommandError(error.what());
  }
}

}  // namespace

void add_ps(CLI::App& parent, Client& client, bool grouped) {
  auto* cmd = parent.add_subcommand(grouped ? "ls" : "ps", "List containers");
  if (grouped) {
    cmd->alias("ps");
    cmd->alias("list");
  }
  auto flags = std::make_shared<PsFlags>();
  cmd->add_flag("-a,--all", flags->all, "Show all containers (default shows just running)");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only display container IDs");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  cmd->add_flag("-s,--size", flags->size, "Display total file sizes");
  cmd->add_flag("-l,--latest", flags->latest,
                "Show the latest created container (includes all states)");
  cmd->add_option("-n,--last", flags->last, "Show n last created containers (includes all states)");
  cmd->add_option("--format", flags->format, "Format output: table, json or a template");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->callback([=, &client] { ps(client, *flags); });
}

}  // namespace keel::ctl
