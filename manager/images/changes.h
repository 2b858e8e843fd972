// `docker import -c` / `docker commit -c`: Dockerfile instructions that edit an image config.
// Accepted: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR (docker's
// list for import, minus ONBUILD, which only matters to a builder Keel does not have).
#pragma once

#include <string_view>

#include "common/error.h"
#include "manager/images/oci.h"

namespace keel::manager::images {

// Applies one instruction ("CMD [\"sh\"]", "ENV A=1 B=2", "EXPOSE 80 53/udp") to `config`.
// kInvalidArgument naming the instruction when it is unknown or malformed.
[[nodiscard]] Result<void> apply_change(std::string_view change, RunConfig& config);

}  // namespace keel::manager::images
