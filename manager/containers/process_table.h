// docker top: the host's ps over all processes, cut down to the rows of a container's pids. The
// columns are whatever the ps arguments ask for; one of them must be PID.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/containers/container_service.h"

namespace keel::manager::containers {

// Runs the host's ps (found on a fixed path list: keeld's PATH is not trusted for it) with
// ps_args, -ef when empty. A failing ps is kInvalidArgument (its arguments were the user's).
[[nodiscard]] Result<ProcessTable> ps_table(const std::vector<int>& pids,
                                            const std::vector<std::string>& ps_args);

// ps's output: a header of titles, then one row per process whose last column (the command)
// keeps its spaces; rows of other pids are dropped. kInvalidArgument without a PID column.
[[nodiscard]] Result<ProcessTable> parse_ps_output(std::string_view output,
                                                   const std::vector<int>& pids);

}  // namespace keel::manager::containers
