// Starting a child process from keeld or the shim: clone + execve with chosen stdio and extra fds,
// a clean signal state (the shim blocks SIGCHLD and ignores SIGPIPE; neither may leak into keel or
// the container) and an explicit environment, so threaded keeld never needs setenv.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "common/error.h"

namespace keel::shimapi {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is the program path
  // -1: /dev/null. Fds here are dup'ed onto 0, 1, 2; every other fd is CLOEXEC in the caller.
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  // Extra fds that become 3, 4, ... in the child, however many.
  std::vector<int> extra_fds;
  std::string cwd;
  bool new_session = false;
  // The child is orphaned at once (started through a short-lived intermediate that exits), so it
  // outlives the caller under init or the nearest subreaper and is never the caller's to reap:
  // a daemon. spawn() then returns the daemon's pid, which the caller must not wait for.
  bool detach = false;
  // "NAME=value" entries: the child's whole environment. nullopt: the caller's own.
  std::optional<std::vector<std::string>> env;
};

// The pid of the child once it has exec'd (the caller's own child, to reap with wait_exit,
// unless detached). A step of the child that failed before execve comes
// back as an error naming the step, with its errno ("dup2 for \"/bin/x\": Bad file descriptor").
[[nodiscard]] Result<pid_t> spawn(const SpawnOptions& options);

// Blocks until `pid` exits; returns its exit code, 128 + n when killed by signal n.
[[nodiscard]] Result<int> wait_exit(pid_t pid);

// The exit code convention used everywhere in the shim: code, or 128 + signal.
[[nodiscard]] int exit_code_of(int wait_status);

// The caller's environment with `overrides` ("NAME=value") replacing or adding entries: what a
// child given SpawnOptions::env gets when only a few variables differ. Reads `environ` only.
[[nodiscard]] std::vector<std::string> environment_with(const std::vector<std::string>& overrides);

}  // namespace keel::shimapi
