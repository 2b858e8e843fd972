// config.md "POSIX-platform Hooks": each hook gets the container state JSON on stdin, runs with
// its own args and env, and is killed when its timeout passes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime {

// Runs `hooks` in order; the first failure stops the list and is returned, naming the hook as
// "<phase>[i] \"<path>\"".
[[nodiscard]] Result<void> run_hooks(const std::vector<oci::Hook>& hooks, std::string_view phase,
                                     const std::string& state_json);

}  // namespace keel::runtime
