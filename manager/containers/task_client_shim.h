// The real ShimConnector: keel-shim launched and spoken to through TaskClient (ttrpc).
#pragma once

#include <memory>

#include "manager/containers/task_shim.h"

namespace keel::manager::containers {

[[nodiscard]] std::unique_ptr<ShimConnector> task_client_connector();

}  // namespace keel::manager::containers
