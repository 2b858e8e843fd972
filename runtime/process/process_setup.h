// The pieces of config.md "Process" that the init (and later exec) applies to itself before
// execve: rlimits, identity, console, executable lookup, fd hygiene.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime {

[[nodiscard]] Result<void> apply_rlimits(const std::vector<oci::Rlimit>& rlimits);
// Writes /proc/self/oom_score_adj.
[[nodiscard]] Result<void> apply_oom_score_adj(int value);
// setgroups (unless the user namespace denies it), setresgid, setresuid; then the umask.
[[nodiscard]] Result<void> apply_user(const oci::User& user, bool setgroups_allowed);
// Resolves args[0] against the PATH in the process env (not keel's), as runc does.
[[nodiscard]] Result<std::string> find_executable(const std::string& name,
                                                  const std::vector<std::string>& env);
// Creates a pty in the container's devpts, binds it to /dev/console (the init only), sends the
// master over `console_socket` (SCM_RIGHTS) and makes the slave our controlling terminal and stdio.
[[nodiscard]] Result<void> setup_console(int console_socket,
                                         const std::optional<oci::ConsoleSize>& size,
                                         bool bind_dev_console);

// Sends `fd` with `name` as the message data over a unix socket (runc's console protocol).
[[nodiscard]] Result<void> send_fd(int socket, int fd, const std::string& name);

}  // namespace keel::runtime
