// clone_process: struct clone_args comes from <linux/sched.h>, kept out of every other file.
#include "runtime/process/clone.h"

#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace keel::runtime {

Result<pid_t> clone_process(std::uint64_t flags) {
  struct clone_args args {};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  const long pid = ::syscall(SYS_clone3, &args, sizeof args);
  if (pid < 0)
    return Error::sys("clone the container init");
  return static_cast<pid_t>(pid);
}

}  // namespace keel::runtime
