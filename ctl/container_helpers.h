// Pieces the container verbs share: docker's per-container error reporting, the exit code of a
// failed start, and looking containers up.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ctl/client.h"
#include "keel/v1/containers.pb.h"

namespace keel::ctl {

// docker's toStatusError for a container that failed to start: 127 when the command was not
// found, 126 when it could not be run, else fallback (125 for run, 126 for exec).
[[nodiscard]] int start_failure_exit_code(const std::string& message, int fallback);

// Runs action on each name as docker's multi-container verbs do: a failure prints its message
// on stderr and the others go on; exit 1 at the end if any failed. A success prints the name
// when print_names is true.
void for_each_container(const std::vector<std::string>& names,
                        const std::function<void(const std::string&)>& action,
                        bool print_names = true);

// The same with up to max_in_flight actions at once, as docker's rm, stop and kill run them: a
// thousand removals are not a thousand round trips in a row. Names print as each succeeds.
void for_each_container_parallel(const std::vector<std::string>& names,
                                 const std::function<void(const std::string&)>& action,
                                 std::size_t max_in_flight);

// Containers.Get; throws CommandError as Client::check does.
[[nodiscard]] keel::v1::Container get_container(Client& client, const std::string& name);

// Containers.List with docker's name=value filters, newest first as docker lists them.
[[nodiscard]] std::vector<keel::v1::Container> list_containers(
    Client& client, bool all, const std::vector<std::string>& filters);

}  // namespace keel::ctl
