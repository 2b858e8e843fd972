// What the container's init tells others about itself: the state JSON that createContainer and
// startContainer hooks read on stdin (config.md "POSIX-platform Hooks") and the container process
// state that goes with the seccomp listener fd to linux.seccomp.listenerPath.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "oci-spec/runtime_config.h"
#include "oci-spec/state.h"
#include "runtime/security/seccomp.h"

namespace keel::runtime {

// Prepared by the parent before clone. The init cannot know its own pid as the host sees it (it
// is 1 in its pid namespace), so the parent sends it over a pipe right after clone.
struct InitReport {
  oci::State state;           // the container's; a pid of 0 becomes ours (the init's case)
  pid_t pid = 0;              // ours as the host sees it, from pid_fd
  int pid_fd = -1;            // read end of the pid pipe, or -1 when nothing needs the state
  int seccomp_listener = -1;  // connected to linux.seccomp.listenerPath, or -1
  std::optional<std::string> listener_metadata;
  std::string agent_status = "creating";  // the status the seccomp agent's state shows
};

// Parent side: what an InitReport reads from. The child inherits the fds through clone; the
// parent's copies go once it is cloned.
struct ReportChannels {
  UniqueFd pid_read;
  UniqueFd pid_write;
  UniqueFd listener;  // the child's copy is the one that sends

  // After clone: drops the parent's copies and sends the child's host pid.
  [[nodiscard]] Result<void> hand_over(pid_t pid);
};

// Opens the pid pipe when `wants_state` or `seccomp` notifies, and then connects to the agent at
// its listenerPath while that host path still resolves. Fills report's fds; report.state (status
// aside) is the caller's.
[[nodiscard]] Result<ReportChannels> open_report_channels(bool wants_state,
                                                          const oci::Seccomp* seccomp,
                                                          bool seccomp_notifies,
                                                          InitReport& report);

// Child side, right after kGo (the parent hands over before it sends kGo): reads the pid and
// closes pid_fd. Nothing to do when pid_fd is -1.
[[nodiscard]] Result<void> receive_init_pid(InitReport& report);
// The state document with `status`; needs receive_init_pid first.
[[nodiscard]] Result<std::string> init_state_json(InitReport& report, const char* status);

// Runs createContainer or startContainer hooks with the state on stdin. Hooks run from the init
// itself (keel is single-threaded, so fork is safe); SIGPIPE goes back to its default after, so
// the container's process does not inherit run_hooks' SIG_IGN through execve.
[[nodiscard]] Result<void> run_init_hooks(InitReport& report, const std::vector<oci::Hook>& hooks,
                                          std::string_view phase, const char* status);

// load_bpf, then, for a filter with SCMP_ACT_NOTIFY, the listener fd and the container
// process state go to the agent over report.seccomp_listener, which is closed after. Whatever
// follows the load runs under the filter: the send itself must not be a notifying syscall.
[[nodiscard]] Result<void> load_seccomp_and_notify(InitReport& report,
                                                   const security::SeccompProgram& program);

}  // namespace keel::runtime
