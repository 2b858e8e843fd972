// Each group of keelctl's commands registers itself on the CLI11 app; callbacks throw
// CommandError to fail.
#pragma once

#include <CLI/CLI.hpp>

#include "ctl/client.h"

namespace keel::ctl {

void add_system_commands(CLI::App& app, Client& client);
void add_image_commands(CLI::App& app, Client& client);
void add_event_commands(CLI::App& app, Client& client);
// run, create, ps, logs, exec, cp, ... at the top level and under `container`; the generic
// inspect (containers, then images).
void add_container_commands(CLI::App& app, Client& client);

}  // namespace keel::ctl
