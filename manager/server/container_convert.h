// Between keel.v1 container messages and the containers library's types.
#pragma once

#include <chrono>

#include "common/error.h"
#include "keel/v1/containers.pb.h"
#include "manager/containers/container_service.h"

namespace keel::manager::server {

// docker run's options as the library takes them; kInvalidArgument names a bad field.
[[nodiscard]] Result<containers::CreateRequest> create_request(
    const keel::v1::ContainerConfig& config);

[[nodiscard]] keel::v1::Container to_proto(const containers::ContainerRecord& record,
                                           std::chrono::system_clock::time_point now);

}  // namespace keel::manager::server
