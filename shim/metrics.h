// The runtime's stats JSON (`keel events --stats`, runc's format) as containerd's cgroup metrics,
// serialized with its type URL: the payload of the Stats rpc. cgroup v1 metrics, or v2 metrics
// when the host's cgroups are the unified hierarchy only, as containerd's runc shim answers.
#pragma once

#include <string>

#include "common/error.h"

namespace keel::shim {

struct TaskMetrics {
  std::string type_url;  // shimapi::kCgroupV1MetricsType or kCgroupV2MetricsType
  std::string value;     // the serialized Metrics message
};

// `stats_json` is one `{"type":"stats","id":...,"data":{...}}` line; kInternal if it is not.
[[nodiscard]] Result<TaskMetrics> metrics_from_stats(const std::string& stats_json, bool cgroup2);

// Whether /sys/fs/cgroup is the unified hierarchy (containerd's cgroups.Mode() == Unified). A
// hybrid host, with its controllers on v1, answers false.
[[nodiscard]] bool cgroup2_unified();

}  // namespace keel::shim
