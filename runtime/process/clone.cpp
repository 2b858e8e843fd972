// clone_process: struct clone_args comes from <linux/sched.h>, kept out of every other file.
#include "runtime/process/clone.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace keel::runtime {

Result<pid_t> clone_process(std::uint64_t flags, int cgroup_fd) {
  struct clone_args args {};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
  }
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0)
    return Error::sys(cgroup_fd >= 0 ? "clone into the container's cgroup" : "clone");
  return static_cast<pid_t>(pid);
}

Result<pid_t> clone_into_cgroup(std::uint64_t flags, int cgroup_fd, bool& parent_moves_child) {
  parent_moves_child = false;
  auto pid = clone_process(flags, cgroup_fd);
  if (pid || cgroup_fd < 0 || (pid.error().errnum() != E2BIG && pid.error().errnum() != EINVAL))
    return pid;
  parent_moves_child = true;
  return clone_process(flags);
}

}  // namespace keel::runtime
