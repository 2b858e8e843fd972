// docker ps --filter over container records: id, name, label, status, ancestor, exited. Values
// of one key are alternatives, different keys must all match.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"
#include "manager/containers/record.h"

namespace keel::manager::containers {

using ContainerFilter = std::function<bool(const ContainerRecord&)>;

// (key, value) pairs as the client sent them; kInvalidArgument for an unknown key.
[[nodiscard]] Result<ContainerFilter> container_filter(
    const std::vector<std::pair<std::string, std::string>>& filters);

}  // namespace keel::manager::containers
