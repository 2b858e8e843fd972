// The shim binary's command line, Go flag style as containerd passes it:
// `-namespace NS -address ADDR -publish-binary BIN -id ID [-bundle DIR] [-debug] [start|delete]`.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::shim {

struct ShimOptions {
  std::string ns;
  std::string id;
  std::string address;         // containerd's grpc socket
  std::string publish_binary;  // containerd itself
  std::string bundle;          // `delete` only; default: the working directory
  bool debug = false;
  std::string action;  // "start", "delete", or empty for the daemon
};

// Accepts -flag value, -flag=value and the same with two dashes.
[[nodiscard]] Result<ShimOptions> parse_options(const std::vector<std::string>& args);
// The arguments that make the daemon of these options (no action).
[[nodiscard]] std::vector<std::string> daemon_args(const ShimOptions& options);

// Environment overrides (shimapi/binary.h), so tests and private deployments keep everything out
// of /run: KEEL_SHIM_SOCKET_DIR (default /run/containerd/s) and KEEL_SHIM_ROOT
// (default /run/containerd/keel/<namespace>): the runtime's --root.
[[nodiscard]] std::string socket_dir();
[[nodiscard]] std::string default_runtime_root(const std::string& ns);
// `keel` beside this executable (its real path, so a symlink to the shim finds it too).
[[nodiscard]] std::string default_runtime_binary();

}  // namespace keel::shim
