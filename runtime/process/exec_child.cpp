// run_exec_child: join the cgroup → kChildStarted → kGo → setns → process
// attributes → kReady → close fds → seccomp → execve.
#include "runtime/process/exec_child.h"

#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime/cgroups/join.h"
#include "runtime/process/process_setup.h"
#include "runtime/security/personality.h"

namespace keel::runtime {
namespace {

Result<std::string> prepare(ExecChildSpec& spec, SyncChannel& channel) {
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
  KEEL_TRY(apply_rlimits(process.rlimits));
  if (spec.personality != nullptr)
    KEEL_TRY(security::apply_personality(*spec.personality));
  if (process.oom_score_adj)
    KEEL_TRY(apply_oom_score_adj(*process.oom_score_adj));
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::sys("set no_new_privs");
  if (spec.seccomp != nullptr && !process.no_new_privileges) {
    KEEL_TRY(load_seccomp_and_notify(spec.report, *spec.seccomp));
    spec.seccomp = nullptr;
  }
  if (spec.capabilities)
    KEEL_TRY(security::prepare_capabilities(*spec.capabilities));
  KEEL_TRY(apply_user(process.user, spec.setgroups_allowed));
  if (spec.capabilities)
    KEEL_TRY(security::apply_capabilities(*spec.capabilities));
  const std::string cwd = process.cwd.empty() ? "/" : process.cwd;
  if (::chdir(cwd.c_str()) != 0)
    return Error::sys("chdir to \"" + cwd + "\"");
  return find_executable(process.args.at(0), process.env);
}

[[noreturn]] void die(const Error& error) {
  const std::string line = "keel: exec: " + error.message() + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(127);
}

}  // namespace

void run_exec_child(ExecChildSpec& spec, SyncChannel& channel) {
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  auto executable = prepare(spec, channel);
  if (!executable) {
    channel.send_error(executable.error());
    ::_exit(1);
  }
  std::vector<char*> argv;
  for (const auto& a : spec.process->args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.process->env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  if (auto r = channel.send(SyncMsg::kReady); !r)
    ::_exit(1);
  // Every fd past the preserved ones closes at execve (CVE-2024-21626: CLOSE_RANGE_CLOEXEC marks
  // the inherited ones that lacked the flag), the sync channel too: its EOF tells the parent the
  // exec happened, so `exec -d` returns only once the process is what it was asked to be. The
  // seccomp listener socket stays usable until then.
  if (::syscall(SYS_close_range, static_cast<unsigned>(3 + spec.preserve_fds), ~0U,
                CLOSE_RANGE_CLOEXEC) != 0)
    die(Error::sys("mark inherited fds close-on-exec"));
  if (spec.seccomp != nullptr) {
    if (auto r = load_seccomp_and_notify(spec.report, *spec.seccomp); !r)
      die(r.error());
  }
  ::execve(executable->c_str(), argv.data(), envp.data());
  die(Error::sys("exec \"" + *executable + "\""));
}

}  // namespace keel::runtime
