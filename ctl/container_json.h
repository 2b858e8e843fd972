// `inspect` of containers: docker's container JSON built from keeld's Container message.
#pragma once

#include <nlohmann/json.hpp>

#include "keel/v1/containers.pb.h"

namespace keel::ctl {

// Id, Created, Path, Args, State, Image, Name, RestartCount, HostConfig, Config, LogPath,
// Mounts, as docker container inspect shows them.
[[nodiscard]] nlohmann::json container_inspect_json(const keel::v1::Container& container);

}  // namespace keel::ctl
