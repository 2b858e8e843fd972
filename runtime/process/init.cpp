// run_container_init: namespaces → rootfs → process attributes → identity and capabilities →
// kReady → wait on exec.fifo → startContainer hooks → execve (process_start.h has the tail). See
// runtime.md "Lifecycle".
#include "runtime/process/init.h"

#include <fcntl.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

#include "common/fs.h"
#include "runtime/cgroups/join.h"
#include "runtime/process/process_setup.h"
#include "runtime/process/process_start.h"
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

Result<void> apply_names(const oci::RuntimeConfig& config, bool own_uts) {
  if (!own_uts && (config.hostname || config.domainname)) {
    // Without a uts namespace of the container's own (new or joined) this would rename the host.
    if (config.hostname.value_or("").empty() && config.domainname.value_or("").empty())
      return {};
    return Error::of(Errc::kInvalidArgument,
                     "hostname: needs a uts namespace (linux.namespaces), new or joined by path");
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
Result<std::string> prepare(InitSpec& spec, ProcessStart& start, SyncChannel& channel) {
  const oci::RuntimeConfig& config = *spec.config;
  const NamespacePlan& ns = *spec.namespaces;
  KEEL_TRY(cgroups::join_v1_as_self(spec.cgroup_join_fds));
  KEEL_TRY(channel.send(SyncMsg::kChildStarted));
  KEEL_TRY(channel.expect(SyncMsg::kGo));
  // Nothing in the container may open our /proc/PID/exe or memory (CVE-2019-5736); execve
  // resets this for the user's process. Not before kGo: a non-dumpable process's /proc files
  // belong to root, and an unprivileged parent could not write our uid_map and setgroups.
  // Until kGo nothing runs in the container that could reach us.
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    return Error::sys("make the init non-dumpable");
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

  // A mount namespace joined by path is the container's: its rootfs is set up there, as runc does.
  const bool own_mount = ns.has(CLONE_NEWNS);
  if (own_mount)
    KEEL_TRY(rootfs::prepare_rootfs(config, spec.rootfs));
  if (spec.sync_runtime_hooks) {
    KEEL_TRY(channel.send(SyncMsg::kRuntimeHooks));
    KEEL_TRY(channel.expect(SyncMsg::kHooksDone));
  }
  // runtime.md: after createRuntime, in the container's namespaces, before pivot_root.
  if (config.hooks)
    KEEL_TRY(
        run_init_hooks(spec.report, config.hooks->create_container, "createContainer", "creating"));
  if (own_mount)
    KEEL_TRY(rootfs::enter_rootfs(spec.rootfs));
  KEEL_TRY(apply_names(config, ns.has(CLONE_NEWUTS)));
  if (!spec.session_keyring.empty())
    KEEL_TRY(join_session_keyring(spec.session_keyring));
  KEEL_TRY(apply_sysctls(config));
  if (config.linux && config.linux->personality)
    KEEL_TRY(security::apply_personality(*config.linux->personality));
  if (own_mount)
    KEEL_TRY(rootfs::finish_rootfs(config));

  const oci::Process& process = *config.process;
  if (process.terminal) {
    if (spec.console_socket < 0)
      return Error::of(Errc::kInvalidArgument, "process.terminal needs --console-socket");
    KEEL_TRY(setup_console(spec.console_socket, process.console_size, true));
  }
  return set_up_process(start);
}

// After kReady the sync channel is gone. What fails now goes to the container's stderr and, once
// `keel start` has released us, into exec.fifo, which start reads until it closes at execve: a
// container is never reported started when its process never ran.
[[noreturn]] void die(const Error& error, int fifo) {
  const std::string line = "keel: container init: " + error.message() + "\n";
  (void)!::write(STDERR_FILENO, line.data(), line.size());  // nobody left to tell if it fails
  if (fifo >= 0)
    (void)!::write(fifo, line.data(), line.size());  // start sees EOF and reports the exit
  ::_exit(127);
}

}  // namespace

void run_container_init(InitSpec& spec, SyncChannel& channel) {
  // flock belongs to the open file: our inherited copy would hold the container's lock until
  // execve, and `keel start` (which takes it) would never release us.
  if (spec.state_lock_fd >= 0)
    ::close(spec.state_lock_fd);
  if (spec.reset_signal_dispositions)
    reset_signal_dispositions();
  if (auto r = unblock_all_signals(); !r) {
    channel.send_error(r.error());
    ::_exit(1);
  }
  if (auto r = place_stdio(spec.stdio); !r) {
    channel.send_error(r.error());
    ::_exit(1);
  }
  ProcessStart start = process_start_of(*spec.config->process, spec);
  auto executable = prepare(spec, start, channel);
  if (!executable) {
    channel.send_error(executable.error());
    ::_exit(1);
  }
  if (auto r = channel.send(SyncMsg::kReady); !r)
    ::_exit(1);
  channel.close();

  // Block until `keel start` opens the fifo for reading; exec.fifo then goes away. Opened
  // through the state directory's fd, not /proc/self/fd: a non-dumpable process that dropped to
  // another uid may not read its own /proc/self/fd. O_CLOEXEC: it stays open until execve, and
  // its EOF tells start the process runs (or what failed, written before it).
  int fifo = -1;
  if (spec.state_dir_fd >= 0) {
    fifo = ::openat(spec.state_dir_fd, "exec.fifo", O_WRONLY | O_CLOEXEC);
    if (fifo < 0)
      die(Error::sys("open exec fifo"), -1);
    if (::write(fifo, "0", 1) != 1)
      die(Error::sys("write exec fifo"), -1);
  }
  // runtime.md: after start, before the user's program, in the container (its root, its user).
  if (spec.config->hooks) {
    if (auto r = run_init_hooks(spec.report, spec.config->hooks->start_container, "startContainer",
                                "created");
        !r)
      die(r.error(), fifo);
  }
  die(exec_process(start, *executable), fifo);
}

}  // namespace keel::runtime
