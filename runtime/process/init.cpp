// run_container_init: namespaces → rootfs → process attributes → identity and capabilities →
// kReady → wait on exec.fifo → close fds → seccomp → execve. See runtime.md "Lifecycle".
#include "runtime/process/init.h"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "common/fs.h"
#include "runtime/cgroups/join.h"
#include "runtime/process/process_setup.h"
#include "runtime/security/personality.h"

namespace keel::runtime {
namespace {

Result<void> apply_sysctls(const oci::RuntimeConfig& config) {
  if (!config.linux)
    return {};
  for (const auto& [key, value] : config.linux->sysctl) {
    std::string path = "/proc/sys/" + key;
    for (size_t i = 10; i < path.size(); ++i) {
      if (path[i] == '.')
        path[i] = '/';
    }
    if (auto r = fs::write_file(path, value); !r)
      return std::move(r).error().context("linux.sysctl \"" + key + "\"");
  }
  return {};
}

Result<void> apply_names(const oci::RuntimeConfig& config, bool new_uts) {
  if (!new_uts && (config.hostname || config.domainname)) {
    // Without a private uts namespace this would rename the host.
    if (config.hostname.value_or("").empty() && config.domainname.value_or("").empty())
      return {};
    return Error::of(Errc::kInvalidArgument, "hostname: needs a new uts namespace");
  }
  if (config.hostname && ::sethostname(config.hostname->data(), config.hostname->size()) != 0)
    return Error::sys("set hostname");
  if (config.domainname &&
      ::setdomainname(config.domainname->data(), config.domainname->size()) != 0)
    return Error::sys("set domainname");
  return {};
}

// A fresh session keyring named after the container, as runc makes: keys of the caller's session
// must not be reachable from the container.
Result<void> join_session_keyring(const std::string& name) {
  const long key = ::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name.c_str());
  if (key < 0) {
    if (errno == ENOSYS)  // kernel without keys: nothing to isolate
      return {};
    return Error::sys("join session keyring");
  }
  // possessor: all; user: view, read, write, search, link, setattr (runc's mask).
  if (::syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f1f0000) != 0)
    return Error::sys("set session keyring permissions");
  return {};
}

// Steps up to kReady; returns the resolved executable.
Result<std::string> prepare(InitSpec& spec, SyncChannel& channel) {
  const oci::RuntimeConfig& config = *spec.config;
  const NamespacePlan& ns = *spec.namespaces;
  KEEL_TRY(cgroups::join_v1_as_self(spec.cgroup_join_fds));
  KEEL_TRY(channel.send(SyncMsg::kChildStarted));
  KEEL_TRY(channel.expect(SyncMsg::kGo));
  // Nothing in the container may open our /proc/PID/exe or memory (CVE-2019-5736); execve
  // resets this for the user's process. Not before kGo: a non-dumpable process's /proc files
  // belong to root, and an unprivileged parent could not write our uid_map and setgroups.
  // Until kGo nothing runs in the container that could reach us.
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  KEEL_TRY(receive_init_pid(spec.report));

  if (ns.new_user) {
    // The parent has written our id maps: become the namespace's root to set everything up.
    if (::setresgid(0, 0, 0) != 0 || ::setresuid(0, 0, 0) != 0)
      return Error::sys("become root in the new user namespace (is uid 0 mapped?)");
  }
  KEEL_TRY(join_namespaces(ns));
  // In our cgroups by now, so the namespace is rooted there.
  if (ns.new_cgroup && ::unshare(CLONE_NEWCGROUP) != 0)
    return Error::sys("unshare cgroup namespace");

  if (ns.new_mount)
    KEEL_TRY(rootfs::prepare_rootfs(config, spec.rootfs));
  if (spec.sync_runtime_hooks) {
    KEEL_TRY(channel.send(SyncMsg::kRuntimeHooks));
    KEEL_TRY(channel.expect(SyncMsg::kHooksDone));
  }
  // runtime.md: after createRuntime, in the container's namespaces, before pivot_root.
  if (config.hooks)
    KEEL_TRY(
        run_init_hooks(spec.report, config.hooks->create_container, "createContainer", "creating"));
  if (ns.new_mount)
    KEEL_TRY(rootfs::enter_rootfs(spec.rootfs));
  KEEL_TRY(apply_names(config, ns.new_uts));
  if (!spec.session_keyring.empty())
    KEEL_TRY(join_session_keyring(spec.session_keyring));
  KEEL_TRY(apply_sysctls(config));
  if (config.linux && config.linux->personality)
    KEEL_TRY(security::apply_personality(*config.linux->personality));
  if (ns.new_mount)
    KEEL_TRY(rootfs::finish_rootfs(config));

  const oci::Process& process = *config.process;
  if (process.terminal) {
    if (spec.console_socket < 0)
      return Error::of(Errc::kInvalidArgument, "process.terminal needs --console-socket");
    KEEL_TRY(setup_console(spec.console_socket, process.console_size, true));
  }
  if (process.oom_score_adj)
    KEEL_TRY(apply_oom_score_adj(*process.oom_score_adj));
  KEEL_TRY(apply_rlimits(process.rlimits));
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::sys("set no_new_privs");
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have it.
  if (spec.seccomp != nullptr && !process.no_new_privileges) {
    KEEL_TRY(load_seccomp_and_notify(spec.report, *spec.seccomp));
    spec.seccomp = nullptr;
  }
  if (spec.capabilities)
    KEEL_TRY(security::prepare_capabilities(*spec.capabilities));
  KEEL_TRY(apply_user(process.user, spec.setgroups_allowed));
  if (spec.capabilities)
    KEEL_TRY(security::apply_capabilities(*spec.capabilities));
  if (!process.cwd.empty() && ::chdir(process.cwd.c_str()) != 0)
    return Error::sys("chdir to process.cwd \"" + process.cwd + "\"");
  return find_executable(process.args.at(0), process.env);
}

// After kReady there is no channel to report on: the container's stderr is all that is left.
[[noreturn]] void die(const Error& error) {
  const std::string line = "keel: container init: " + error.message() + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());
  ::_exit(127);
}

}  // namespace

void run_container_init(InitSpec& spec, SyncChannel& channel) {
  // flock belongs to the open file: our inherited copy would hold the container's lock until
  // execve, and `keel start` (which takes it) would never release us.
  if (spec.state_lock_fd >= 0)
    ::close(spec.state_lock_fd);
  // `keel run` blocks the signals it forwards; the container's process starts with none blocked.
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  auto executable = prepare(spec, channel);
  if (!executable) {
    channel.send_error(executable.error());
    ::_exit(1);
  }
  if (auto r = channel.send(SyncMsg::kReady); !r)
    ::_exit(1);
  channel.close();

  // Block until `keel start` opens the fifo for reading; exec.fifo then goes away. Opened
  // through the state directory's fd, not /proc/self/fd: a non-dumpable process that dropped to
  // another uid may not read its own /proc/self/fd.
  if (spec.state_dir_fd >= 0) {
    const int fifo = ::openat(spec.state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fifo < 0)
      die(Error::sys("open exec fifo"));
    if (::write(fifo, "0", 1) != 1)
      die(Error::sys("write exec fifo"));
    // Left open: closed with the other fds just before execve, which `keel start` waits for
    // before it runs poststart hooks.
  }
  // runtime.md: after start, before the user's program, in the container (its root, its user).
  if (spec.config->hooks) {
    if (auto r = run_init_hooks(spec.report, spec.config->hooks->start_container, "startContainer",
                                "created");
        !r)
      die(r.error());
  }
  const oci::Process& process = *spec.config->process;
  std::vector<char*> argv;
  for (const auto& a : process.args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : process.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // Close, not just CLOEXEC: an fd inherited without CLOEXEC would leak (CVE-2024-21626). The
  // seccomp listener socket is spared until the filter's fd went through it.
  if (auto r = close_fds_keeping(3 + spec.preserve_fds, spec.report.seccomp_listener); !r)
    die(r.error());
  if (spec.seccomp != nullptr) {
    if (auto r = load_seccomp_and_notify(spec.report, *spec.seccomp); !r)
      die(r.error());
  }
  ::execve(executable->c_str(), argv.data(), envp.data());
  die(Error::sys("exec \"" + *executable + "\""));
}

}  // namespace keel::runtime
