// The shim's ttrpc socket, shared by the two ways a shim starts: `keel-shim start` (containerd's
// contract) and a manager launching the daemon itself (binary.h, launch_daemon). Both name it
// as containerd's shims do and bind it before the daemon runs, which inherits it as fd 3.
#pragma once

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::shimapi {

// unix://<socket dir>/<sha256 of "<manager address>/<namespace>/<id>">.
[[nodiscard]] std::string shim_socket_address(const std::string& socket_dir,
                                              const std::string& manager_address,
                                              const std::string& ns, const std::string& id);

struct BoundShimSocket {
  // Listening (mode 0600, CLOEXEC), for the daemon to inherit. Invalid when a shim already
  // serves on the path: that shim is the one to talk to (containerd's `start` hands out its
  // address again).
  UniqueFd listener;
  bool already_served = false;
};

// Binds `address` (unix://PATH), making the socket directory (0700) if needed. A stale socket
// file nobody answers on is replaced.
[[nodiscard]] Result<BoundShimSocket> bind_shim_socket(const std::string& address);

}  // namespace keel::shimapi
