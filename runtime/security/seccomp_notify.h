// Hands a seccomp listener fd to the agent at linux.seccomp.listenerPath, as config-linux.md
// "Seccomp" (listenerPath) and "The Container Process State" describe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace keel::runtime::security {

// The container process state: {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (when
// listenerMetadata is set), "state": <state_json, the runtime.md state of the container>}.
[[nodiscard]] Result<std::string> container_process_state(
    int pid, const std::optional<std::string>& metadata, std::string_view state_json);

// Connects to `listener_path` (AF_UNIX, SOCK_STREAM), sends `state_json` (the container process
// state above) with `notify_fd` as the only SCM_RIGHTS fd on the first sendmsg, then closes the
// connection: one state per connection, never reused. Does not close `notify_fd`.
[[nodiscard]] Result<void> send_notify_fd(const std::string& listener_path, int notify_fd,
                                          std::string_view state_json);
// The same over `socket`, already connected to the listener: a container's init connects
// before pivot_root, while the host path still resolves, and sends once the filter is loaded.
[[nodiscard]] Result<void> send_notify_fd_on(int socket, int notify_fd,
                                             std::string_view state_json);

}  // namespace keel::runtime::security
