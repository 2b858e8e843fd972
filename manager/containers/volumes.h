// Host directories of a container's volumes: <root>/volumes/<name>/_data for each named -v
// volume and for each anonymous volume its image declares (named by 64 random hex digits).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/containers/image_config.h"
#include "manager/containers/run_options.h"

namespace keel::manager::containers {

// Creates the directory of every volume run needs and records it in run.volume_dirs (what
// build_spec mounts); the anonymous ones' <root>/volumes/<name> (what rm -v deletes) are
// appended to anonymous, as soon as each exists, so a caller can undo a partial provision.
[[nodiscard]] Result<void> provision_volumes(const std::filesystem::path& root,
                                             const ImageConfig& image, RunOptions& run,
                                             std::vector<std::string>& anonymous);

}  // namespace keel::manager::containers
