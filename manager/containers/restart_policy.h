// docker's restart policies as decisions: whether an exited container comes back, and after
// how long. No clock and no threads here; TaskSupervisor acts on the answers.
#pragma once

#include <chrono>

#include "manager/containers/record.h"

namespace keel::manager::containers {

// From the record's policy and its last exit: a stop by a user keeps every policy down;
// "on-failure" counts restarts against max_retries (0: unlimited).
[[nodiscard]] bool should_restart(const ContainerRecord& record);

// docker's back-off: 100 ms doubling per restart already made, at most a minute.
[[nodiscard]] std::chrono::milliseconds restart_delay(int restart_count);

}  // namespace keel::manager::containers
