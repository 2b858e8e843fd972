// Starting child processes from the shim: fork + execve with chosen stdio, a clean signal state
// (the shim blocks SIGCHLD and ignores SIGPIPE; neither may leak into keel or the container).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::shim {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path
  // -1: /dev/null. Fds here are dup'ed onto 0, 1, 2; every other fd is CLOEXEC in the shim.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Extra fds that become 3, 4, ... in the child.
  std::vector<int> extra_fds;
  std::string cwd;
  bool new_session = false;
};

[[nodiscard]] Result<pid_t> spawn(const SpawnOptions& options);

// Blocks until `pid` exits; returns its exit code, 128 + n when killed by signal n.
[[nodiscard]] Result<int> wait_exit(pid_t pid);

// The exit code convention used everywhere in the shim: code, or 128 + signal.
[[nodiscard]] int exit_code_of(int wait_status);

}  // namespace keel::shim
