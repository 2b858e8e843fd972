#include "manager/containers/restart_policy.h"

#include <algorithm>

namespace keel::manager::containers {

bool should_restart(const ContainerRecord& record) {
  const auto& policy = record.restart;
  if (record.state.stopped_by_user)
    return false;
  if (policy.name == "always" || policy.name == "unless-stopped")
    return true;
  if (policy.name == "on-failure")
    return record.state.exit_code != 0 &&
           (policy.max_retries == 0 || record.state.restart_count < policy.max_retries);
  return false;
}

std::chrono::milliseconds restart_delay(int restart_count) {
  const int exponent = std::clamp(restart_count, 0, 10);
  return std::min(std::chrono::milliseconds(100) * (1 << exponent),
                  std::chrono::milliseconds(60'000));
}

}  // namespace keel::manager::containers
