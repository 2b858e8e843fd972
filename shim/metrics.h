// The runtime's stats JSON (`keel events --stats`, runc's format) as containerd's cgroup v1
// Metrics message, serialized: the payload of the Stats rpc.
#pragma once

#include <string>

#include "common/error.h"

namespace keel::shim {

inline constexpr const char* kMetricsTypeUrl = "io.containerd.cgroups.v1.Metrics";

// `stats_json` is one `{"type":"stats","id":...,"data":{...}}` line; kInternal if it is not.
[[nodiscard]] Result<std::string> metrics_from_stats(const std::string& stats_json);

}  // namespace keel::shim
