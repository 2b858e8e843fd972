// The three ways the shim binary runs: `start` (launch the daemon, print its address), `delete`
// (clean up after a dead daemon, print a DeleteResponse) and the daemon itself.
#pragma once

#include "common/error.h"
#include "shim/options.h"

namespace keel::shim {

[[nodiscard]] Result<int> run_start(const ShimOptions& options);
[[nodiscard]] Result<int> run_delete(const ShimOptions& options);
[[nodiscard]] Result<int> run_daemon(const ShimOptions& options);

// unix://<socket dir>/<sha256 of "<address>/<namespace>/<id>">, as containerd's shims name theirs.
[[nodiscard]] std::string socket_address(const ShimOptions& options);

}  // namespace keel::shim
