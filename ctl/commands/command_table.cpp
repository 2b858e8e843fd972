// keelctl's command table: every verb and group, in the order `keelctl --help` lists them. A new
// verb is a new file in this folder and one line here.
#include <string>

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
    add_images, add_pull, add_load, add_save, add_import, add_tag, add_rmi, add_history,
};
constexpr AddVerb kImageOnlyVerbs[] = {add_image_prune, add_image_inspect};
constexpr AddVerb kSystemOnlyVerbs[] = {add_system_prune};

// A group (`container`, `image`, `system`) that must be given one of its verbs.
CLI::App& add_group(CLI::App& app, const std::string& name, const std::string& description) {
  auto* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return *group;
}

}  // namespace

void add_commands(CLI::App& app, Client& client) {
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

  for (const AddVerb add : kContainerVerbs)
    add(app, client, false);
  auto& container = add_group(app, "container", "Manage containers");
  for (const AddVerb add : kContainerVerbs)
    add(container, client, true);
}

}  // namespace keel::ctl
