// keelctl's command table: every verb and group, in the order `keelctl --help` lists them. A new
// verb is a new file in this folder and one line here.
//
// A call registers only the verb it names: building all ~40 verbs with their flags cost more
// instructions than the whole RPC of a `ps -q`. Help, groups and unknown verbs still see all.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "ctl/commands/commands.h"

namespace keel::ctl {
namespace {

// Verbs at both levels: `keelctl ps` and `keelctl container ls`.
constexpr AddVerb kContainerVerbs[] = {
    add_run,   add_start,   add_attach, add_exec, add_cp,     add_stop,   add_kill,
    add_pause, add_wait,    add_rename, add_rm,   add_ps,     add_logs,   add_top,
    add_stats, add_inspect, add_update, add_diff, add_commit, add_export, add_port,
};
// Verbs at both levels: `keelctl images` and `keelctl image ls`.
constexpr AddVerb kImageVerbs[] = {
    add_images, add_pull, add_push, add_load, add_save, add_import, add_tag, add_rmi, add_history,
};
constexpr AddVerb kImageOnlyVerbs[] = {add_image_prune, add_image_inspect};
constexpr AddVerb kSystemOnlyVerbs[] = {add_system_prune};

// The top-level names each ungrouped hook adds (tests/ctl/command_table_test.cpp checks them
// against what the hooks really register).
const TopLevelVerb kTopLevelVerbs[] = {
    {{"version"}, add_version},
    {{"images"}, add_images},
    {{"pull"}, add_pull},
    {{"push"}, add_push},
    {{"load"}, add_load},
    {{"save"}, add_save},
    {{"import"}, add_import},
    {{"tag"}, add_tag},
    {{"rmi"}, add_rmi},
    {{"history"}, add_history},
    {{"events"}, add_events},
    {{"network"}, add_network},
    {{"login"}, add_login},
    {{"logout"}, add_logout},
    {{"run", "create"}, add_run},
    {{"start"}, add_start},
    {{"attach"}, add_attach},
    {{"exec"}, add_exec},
    {{"cp"}, add_cp},
    {{"stop", "restart"}, add_stop},
    {{"kill"}, add_kill},
    {{"pause", "unpause"}, add_pause},
    {{"wait"}, add_wait},
    {{"rename"}, add_rename},
    {{"rm"}, add_rm},
    {{"ps"}, add_ps},
    {{"logs"}, add_logs},
    {{"top"}, add_top},
    {{"stats"}, add_stats},
    {{"inspect"}, add_inspect},
    {{"update"}, add_update},
    {{"diff"}, add_diff},
    {{"commit"}, add_commit},
    {{"export"}, add_export},
    {{"port"}, add_port},
};

// A group (`container`, `image`, `system`) that must be given one of its verbs.
CLI::App& add_group(CLI::App& app, const std::string& name, const std::string& description) {
  auto* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return *group;
}

}  // namespace

std::span<const TopLevelVerb> top_level_verbs() {
  return kTopLevelVerbs;
}

std::optional<std::string_view> named_verb(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "-H" || arg == "--address") {
      ++i;  // the socket path, not a verb
      continue;
    }
    if (arg.starts_with("-"))
      continue;  // --address=..., -Hpath, --version, --help
    return arg;
  }
  return std::nullopt;
}

void add_commands(CLI::App& app, Client& client, std::optional<std::string_view> verb) {
  if (verb) {
    for (const auto& entry : kTopLevelVerbs) {
      if (std::find(entry.names.begin(), entry.names.end(), *verb) != entry.names.end()) {
        entry.add(app, client, false);
        return;
      }
    }
  }
  add_all_commands(app, client);
}

void add_all_commands(CLI::App& app, Client& client) {
  add_version(app, client, false);
  auto& system = add_group(app, "system", "Manage keeld");
  for (const AddVerb add : kSystemOnlyVerbs)
    add(system, client, true);

  for (const AddVerb add : kImageVerbs)
    add(app, client, false);
  auto& image = add_group(app, "image", "Manage images");
  for (const AddVerb add : kImageVerbs)
    add(image, client, true);
  for (const AddVerb add : kImageOnlyVerbs)
    add(image, client, true);

  add_events(app, client, false);
  add_network(app, client, false);
  add_login(app, client, false);
  add_logout(app, client, false);

  for (const AddVerb add : kContainerVerbs)
    add(app, client, false);
  auto& container = add_group(app, "container", "Manage containers");
  for (const AddVerb add : kContainerVerbs)
    add(container, client, true);
}

}  // namespace keel::ctl
