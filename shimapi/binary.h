// The shim binary's contract (containerd's runtime v2 README, "Start" and "Delete"), manager side:
// `SHIM ... start` in the bundle prints the ttrpc address of the daemon it left running;
// `SHIM ... -bundle DIR delete` cleans up after a shim that is gone and prints a DeleteResponse.
// A manager may also start the daemon itself (launch_daemon), one exec less than `start`.
// Also the environment the shim reads, which a manager passes as the shim's envp.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.h"

namespace keel::shimapi {

// Where the shim binds its socket (default /run/containerd/s) and the OCI runtime's --root (default
// /run/containerd/keel/<namespace>): tests and private deployments keep everything out of /run.
inline constexpr const char* kSocketDirEnv = "KEEL_SHIM_SOCKET_DIR";
inline constexpr const char* kDefaultSocketDir = "/run/containerd/s";
inline constexpr const char* kRuntimeRootEnv = "KEEL_SHIM_ROOT";
// A ttrpc socket serving containerd.services.events.ttrpc.v1.Events: the shim forwards its task
// events there (containerd 1.6 on sets it for its shims; keeld sets its own).
inline constexpr const char* kTtrpcAddressEnv = "TTRPC_ADDRESS";

struct ShimLaunch {
  std::string shim_binary;
  std::string ns;
  std::string id;
  std::string bundle;
  std::string address;  // the manager's socket, as containerd's
  // Run by the shim for each task event (containerd's `publish` contract) when no
  // kTtrpcAddressEnv is given; both empty: the shim drops its events.
  std::string publish_binary = {};
  // "NAME=value" entries replacing or adding to the manager's environment for the shim (the
  // variables above): the child's envp, so a threaded manager never calls setenv.
  std::vector<std::string> env = {};
};

// Runs `start` with the bundle as working directory and returns the address it prints; the shim
// daemonises, so it outlives the caller.
[[nodiscard]] Result<std::string> start_shim(const ShimLaunch& launch);

// What `start` does, without its process: binds the shim's socket (in the kSocketDirEnv of
// launch.env, else of the caller's environment, else /run/containerd/s), writes `address` in the
// bundle and spawns the daemon detached (its own session, orphaned at once, so it outlives the
// caller) with the listening socket as fd 3. One exec instead of two. The socket listens before
// the daemon runs, so the caller may connect at once; a daemon that fails to start shows as a
// connection closed on its first call. The address, as start_shim returns it.
[[nodiscard]] Result<std::string> launch_daemon(const ShimLaunch& launch);

struct ShimDeleted {
  pid_t pid = 0;
  std::uint32_t exit_status = 0;
  std::int64_t exited_at_ns = 0;
};

// Runs `delete` for a shim that is gone: the runtime's delete, the rootfs unmounted, the socket
// removed. The exit is the one the shim recorded, or 137 (SIGKILL) when it recorded none.
[[nodiscard]] Result<ShimDeleted> delete_shim(const ShimLaunch& launch);

}  // namespace keel::shimapi
