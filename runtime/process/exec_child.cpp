// run_exec_child: join the cgroup → kChildStarted → kGo → setns → console → personality →
// set_up_process → kReady → exec_process (process_start.h).
#include "runtime/process/exec_child.h"

#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "runtime/cgroups/join.h"
#include "runtime/process/process_setup.h"
#include "runtime/process/process_start.h"
#include "runtime/security/personality.h"

namespace keel::runtime {
namespace {

Result<std::string> prepare(ExecChildSpec& spec, ProcessStart& start, SyncChannel& channel) {
  const oci::Process& process = *spec.process;
  KEEL_TRY(cgroups::join_v1_as_self(spec.cgroup_join_fds));
  KEEL_TRY(channel.send(SyncMsg::kChildStarted));
  KEEL_TRY(channel.expect(SyncMsg::kGo));
  KEEL_TRY(receive_init_pid(spec.report));
  for (const auto& ns : *spec.namespaces) {
    if (::setns(ns.fd.get(), ns.nstype) != 0)
      return Error::sys("join the container's namespaces");
  }
  if (process.terminal) {
    if (spec.console_socket < 0)
      return Error::of(Errc::kInvalidArgument, "--tty needs --console-socket");
    KEEL_TRY(setup_console(spec.console_socket, process.console_size, false));
  }
  if (spec.personality != nullptr)
    KEEL_TRY(security::apply_personality(*spec.personality));
  return set_up_process(start);
}

}  // namespace

void run_exec_child(ExecChildSpec& spec, SyncChannel& channel) {
  // Non-dumpable before it enters any of the container's namespaces (CVE-2019-5736): a process
  // that cannot guarantee it must not go on.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    channel.send_error(Error::sys("make the exec'd process non-dumpable"));
    ::_exit(1);
  }
  if (auto r = unblock_all_signals(); !r) {
    channel.send_error(r.error());
    ::_exit(1);
  }
  ProcessStart start = process_start_of(*spec.process, spec);
  auto executable = prepare(spec, start, channel);
  if (!executable) {
    channel.send_error(executable.error());
    ::_exit(1);
  }
  if (auto r = channel.send(SyncMsg::kReady); !r)
    ::_exit(1);
  // The channel stays open (close-on-exec) until execve: its EOF tells the parent the exec
  // happened, so `exec -d` returns only once the process is what it was asked to be, and a
  // failure from here on reaches the parent as an error frame rather than a silent exit.
  const Error failed = exec_process(start, *executable);
  channel.send_error(failed);
  const std::string line = "keel: exec: " + failed.message() + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());  // nobody left to tell if it fails
  ::_exit(127);
}

}  // namespace keel::runtime
