// keel's own lifecycle, called in the shim's process instead of through the `keel` binary, for
// the four steps every container takes (create, start, kill, delete). Each `keel` run costs a
// process: its exec, page faults and start-up were most of a `run --rm` (three to four per
// container). The shim is single-threaded, so the init cloned from it may run the runtime's code
// as a `keel create` child would.
#pragma once

#include <string>

#include "common/error.h"
#include "shim/runtime_client.h"

namespace keel::shim::linked_runtime {

// True when `binary` is the keel this shim was built with (the `keel` beside it, by any path):
// only then may its steps run in-process; any other runtime (runc, crun, another keel) is run.
[[nodiscard]] bool serves(const std::string& binary);

[[nodiscard]] Result<void> create(const RuntimeConfig& config, const std::string& id,
                                  const std::string& bundle, const std::string& pid_file,
                                  const std::string& console_socket, RuntimeStdio stdio);
[[nodiscard]] Result<void> start(const RuntimeConfig& config, const std::string& id);
[[nodiscard]] Result<void> kill(const RuntimeConfig& config, const std::string& id, int signal,
                                bool all);
[[nodiscard]] Result<void> remove(const RuntimeConfig& config, const std::string& id, bool force);

}  // namespace keel::shim::linked_runtime
