// Edits of a container's OCI spec after create, on oci-spec's types: the limits of docker
// update and the process of docker exec. The JSON the shim takes is written from those types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "manager/containers/container_service.h"
#include "manager/containers/user_lookup.h"
#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {

// docker update's limits; 0 leaves a limit as it is (a pids limit of -1 is "unlimited").
struct ResourceUpdate {
  std::int64_t memory_bytes = 0;
  std::int64_t milli_cpus = 0;
  std::int64_t pids_limit = 0;
};

// Only the limits the update sets: nullopt when it sets none.
[[nodiscard]] std::optional<oci::Resources> resources_of(const ResourceUpdate& update);

// Sets in config's linux.resources the limits `update` holds, keeping every other field, so
// the next start runs with them too.
void apply_resources(oci::RuntimeConfig& config, const oci::Resources& update);

// The process of an exec: the container's own process (user, capabilities, rlimits, ...) with
// the request's command, terminal, environment on top, working directory and user (resolved
// in the rootfs by the caller); --privileged gives every capability.
[[nodiscard]] oci::Process exec_process(const oci::Process& base, const ExecRequest& request,
                                        const std::optional<ResolvedUser>& user);

// The runtime-spec JSON of a "process" object and of a "linux.resources" object, as the shim's
// Exec and Update take them.
[[nodiscard]] std::string process_json(const oci::Process& process);
[[nodiscard]] std::string resources_json(const oci::Resources& resources);

}  // namespace keel::manager::containers
