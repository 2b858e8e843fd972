// The registration hook of each keelctl verb, one per file in this folder. Each adds its verb(s)
// to parent: the app itself, or a group (`container`, `image`, `system`) when grouped is true,
// where docker's short names apply (`container ls`, `image rm`). The table that calls them is
// command_table.cpp.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string_view>

#include <CLI/CLI.hpp>

#include "ctl/client.h"

namespace keel::ctl {

// Every verb's hook has this shape.
using AddVerb = void (*)(CLI::App& parent, Client& client, bool grouped);

// A hook of a top-level verb and the names it adds (`run` adds run and create).
struct TopLevelVerb {
  std::array<std::string_view, 2> names;  // the second empty when there is one
  AddVerb add;
};
[[nodiscard]] std::span<const TopLevelVerb> top_level_verbs();

// The first word of argv that is not a global flag or its value: the verb the call names.
[[nodiscard]] std::optional<std::string_view> named_verb(int argc, const char* const* argv);

// Adds only the top-level verb named, when it is one; else everything (help lists all verbs,
// groups and docker's unknown-verb message need the whole table).
void add_commands(CLI::App& app, Client& client, std::optional<std::string_view> verb);

// Adds every verb and group to app, in the order `keelctl --help` lists them.
void add_all_commands(CLI::App& app, Client& client);

// Containers (top level and under `container`).
void add_run(CLI::App& parent, Client& client, bool grouped);  // run and create
void add_start(CLI::App& parent, Client& client, bool grouped);
void add_attach(CLI::App& parent, Client& client, bool grouped);
void add_exec(CLI::App& parent, Client& client, bool grouped);
void add_cp(CLI::App& parent, Client& client, bool grouped);
void add_stop(CLI::App& parent, Client& client, bool grouped);  // stop and restart
void add_kill(CLI::App& parent, Client& client, bool grouped);
void add_pause(CLI::App& parent, Client& client, bool grouped);  // pause and unpause
void add_wait(CLI::App& parent, Client& client, bool grouped);
void add_rename(CLI::App& parent, Client& client, bool grouped);
void add_rm(CLI::App& parent, Client& client, bool grouped);
void add_ps(CLI::App& parent, Client& client, bool grouped);
void add_logs(CLI::App& parent, Client& client, bool grouped);
void add_top(CLI::App& parent, Client& client, bool grouped);
void add_port(CLI::App& parent, Client& client, bool grouped);
void add_stats(CLI::App& parent, Client& client, bool grouped);
// The generic inspect at the top level; `container inspect` when grouped.
void add_inspect(CLI::App& parent, Client& client, bool grouped);
void add_update(CLI::App& parent, Client& client, bool grouped);
void add_diff(CLI::App& parent, Client& client, bool grouped);
void add_commit(CLI::App& parent, Client& client, bool grouped);
void add_export(CLI::App& parent, Client& client, bool grouped);

// Images (top level and under `image`).
void add_images(CLI::App& parent, Client& client, bool grouped);
void add_load(CLI::App& parent, Client& client, bool grouped);
void add_pull(CLI::App& parent, Client& client, bool grouped);
void add_push(CLI::App& parent, Client& client, bool grouped);
void add_save(CLI::App& parent, Client& client, bool grouped);
void add_import(CLI::App& parent, Client& client, bool grouped);
void add_tag(CLI::App& parent, Client& client, bool grouped);
void add_rmi(CLI::App& parent, Client& client, bool grouped);
void add_history(CLI::App& parent, Client& client, bool grouped);
// Only under `image`.
void add_image_prune(CLI::App& parent, Client& client, bool grouped);
void add_image_inspect(CLI::App& parent, Client& client, bool grouped);

// Only under `system`.
void add_system_prune(CLI::App& parent, Client& client, bool grouped);

// Only at the top level.
void add_network(CLI::App& parent, Client& client, bool grouped);  // the `network` group
void add_version(CLI::App& parent, Client& client, bool grouped);
void add_events(CLI::App& parent, Client& client, bool grouped);
void add_login(CLI::App& parent, Client& client, bool grouped);
void add_logout(CLI::App& parent, Client& client, bool grouped);

}  // namespace keel::ctl
