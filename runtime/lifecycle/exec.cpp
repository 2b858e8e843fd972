// exec_in_container: runc's `exec`. The process is the container's own (config.json as created)
// with the flags' changes, or a --process file; it joins every namespace of the init (the pid and
// time namespaces through the parent, which only affects children) and its cgroups.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "common/fs.h"
#include "common/unix_socket.h"
#include "runtime/cgroups/join.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/console_relay.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"
#include "runtime/process/clone.h"
#include "runtime/process/exec_child.h"
#include "runtime/process/namespaces.h"
#include "runtime/security/seccomp_cache.h"

namespace keel::runtime {
namespace {

Result<oci::Process> process_from_file(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text)
    return std::move(text).error().context("--process");
  // Parsed as the process of a config document, so it gets the same checks and JSON paths.
  const std::string doc =
      R"({"ociVersion":"1.2.0","root":{"path":"rootfs"},"process":)" + *text + "}";
  auto parsed = oci::parse_config(doc);
  if (!parsed)
    return std::move(parsed).error().context("--process \"" + path + "\"");
  return *parsed->process;
}

void set_env(std::vector<std::string>& env, const std::string& entry) {
  const auto eq = entry.find('=');
  const std::string key = entry.substr(0, eq == std::string::npos ? entry.size() : eq + 1);
  for (auto& e : env) {
    if (e.rfind(key, 0) == 0) {
      e = entry;
      return;
    }
  }
  env.push_back(entry);
}

Result<oci::Process> build_process(const ExecOptions& o, const oci::RuntimeConfig& config) {
  if (!o.process_file.empty())
    return process_from_file(o.process_file);
  if (o.args.empty())
    return Error::of(Errc::kInvalidArgument, "exec: a command is required (or --process)");
  oci::Process p = *config.process;
  p.args = o.args;
  p.terminal = o.tty;
  p.console_size.reset();
  for (const auto& e : o.env)
    set_env(p.env, e);
  if (!o.cwd.empty())
    p.cwd = o.cwd;
  if (!o.user.empty()) {
    char* end = nullptr;
    p.user.uid = static_cast<std::uint32_t>(std::strtoul(o.user.c_str(), &end, 10));
    if (*end == ':')
      p.user.gid = static_cast<std::uint32_t>(std::strtoul(end + 1, &end, 10));
    if (*end != '\0')
      return Error::of(Errc::kInvalidArgument, "--user \"" + o.user + "\": want uid[:gid]");
    p.user.additional_gids.clear();
  }
  for (auto gid : o.additional_gids)
    p.user.additional_gids.push_back(gid);
  if (!o.caps.empty()) {
    if (!p.capabilities)
      p.capabilities.emplace();
    for (auto* set :
         {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
          &p.capabilities->inheritable, &p.capabilities->ambient}) {
      if (!*set)
        set->emplace();
      for (const auto& cap : o.caps)
        (*set)->push_back(cap);
    }
  }
  if (o.no_new_privs)
    p.no_new_privileges = true;
  if (!o.apparmor.empty())
    p.apparmor_profile = o.apparmor;
  return p;
}

const char* proc_ns_name(int nstype) {
  switch (nstype) {
    case CLONE_NEWUSER:
      return "user";
    case CLONE_NEWNS:
      return "mnt";
    case CLONE_NEWPID:
      return "pid";
    case CLONE_NEWNET:
      return "net";
    case CLONE_NEWIPC:
      return "ipc";
    case CLONE_NEWUTS:
      return "uts";
    case CLONE_NEWCGROUP:
      return "cgroup";
    case CLONE_NEWTIME:
      return "time";
    default:
      return "";
  }
}

// The init's namespaces as /proc/<pid>/ns fds: user first, mount after the rest (joining it
// changes our root, and the other /proc paths are already open).
Result<std::vector<JoinNamespace>> open_namespaces(const oci::RuntimeConfig& config, pid_t pid) {
  std::vector<JoinNamespace> out;
  if (!config.linux)
    return out;
  enum class Pass { kUser, kOthers, kMount };
  for (Pass pass : {Pass::kUser, Pass::kOthers, Pass::kMount}) {
    for (const auto& ns : config.linux->namespaces) {
      auto flag = namespace_flag(ns.type);
      if (!flag)
        return flag.error();
      const Pass wanted = *flag == CLONE_NEWUSER ? Pass::kUser
                          : *flag == CLONE_NEWNS ? Pass::kMount
                                                 : Pass::kOthers;
      if (wanted != pass)
        continue;
      const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + proc_ns_name(*flag);
      const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return Error::sys("open \"" + path + "\"");
      out.push_back(JoinNamespace{UniqueFd(fd), *flag});
    }
  }
  return out;
}

// The container's filter, from the cache its init filled; nullopt when it has none.
Result<std::optional<security::SeccompProgram>> prepare_exec_seccomp(
    const oci::RuntimeConfig& config, const std::string& state_root) {
  if (!config.linux || !config.linux->seccomp)
    return std::optional<security::SeccompProgram>();
  auto program = security::prepare_seccomp(*config.linux->seccomp,
                                           state_root + "/" + security::kSeccompCacheDir);
  if (!program)
    return program.error();
  return std::optional<security::SeccompProgram>(std::move(*program));
}

Result<void> resolve_exec_capabilities(const oci::Process& process, ExecChildSpec& spec) {
  if (!process.capabilities)
    return {};
  auto caps = security::resolve_capabilities(*process.capabilities);
  if (!caps)
    return std::move(caps).error().context("process.capabilities");
  spec.capabilities = *caps;
  return {};
}

// A notifying filter's fd goes to the agent with the container's state, as the init's did.
Result<ReportChannels> open_exec_reports(const ContainerRecord& record,
                                         const oci::RuntimeConfig& config, const std::string& id,
                                         Status status,
                                         const std::optional<security::SeccompProgram>& seccomp,
                                         InitReport& report) {
  report.state = oci::State{std::string(oci::kOciVersion),
                            id,
                            status_name(status),
                            record.pid,
                            record.bundle,
                            record.annotations};
  report.agent_status = status_name(status);
  return open_report_channels(
      false, config.linux && config.linux->seccomp ? &*config.linux->seccomp : nullptr,
      seccomp && seccomp->uses_notify, report);
}

// pid and time namespaces apply to children: the parent enters them and clones into them. The
// rest are the child's to join.
Result<std::vector<JoinNamespace>> enter_parent_side_namespaces(
    std::vector<JoinNamespace> namespaces) {
  std::vector<JoinNamespace> child_namespaces;
  for (auto& ns : namespaces) {
    if (ns.nstype == CLONE_NEWPID || ns.nstype == CLONE_NEWTIME) {
      if (::setns(ns.fd.get(), ns.nstype) != 0)
        return Error::sys("join the container's pid namespace");
    } else {
      child_namespaces.push_back(std::move(ns));
    }
  }
  return child_namespaces;
}

}  // namespace

Result<int> exec_in_container(const StateStore& store, const ExecOptions& o) {
  auto fail = [&](Error e) { return std::move(e).context("exec in \"" + o.id + "\""); };
  std::optional<ForwardedSignals> signals;
  if (!o.detach)
    signals.emplace();
  std::optional<ConsoleRelay> relay;
  pid_t pid = 0;
  {
    auto dir = store.open(o.id);
    if (!dir)
      return dir.error();
    auto record = dir->load();
    if (!record)
      return record.error();
    const Status status = dir->status(*record);
    if (status != Status::kRunning && status != Status::kCreated)
      return fail(Error::of(Errc::kFailedPrecondition,
                            std::string("cannot exec in a ") + status_name(status) + " container"));
    auto config = load_saved_config(*dir);
    if (!config)
      return fail(config.error());
    auto process = build_process(o, *config);
    if (!process)
      return fail(process.error());

    ExecChildSpec spec;
    spec.process = &*process;
    spec.preserve_fds = o.preserve_fds;
    if (auto r = resolve_exec_capabilities(*process, spec); !r)
      return fail(r.error());
    auto seccomp = prepare_exec_seccomp(*config, store.root());
    if (!seccomp)
      return fail(seccomp.error());
    spec.seccomp = *seccomp ? &**seccomp : nullptr;
    if (config->linux && config->linux->personality)
      spec.personality = &*config->linux->personality;
    auto reports = open_exec_reports(*record, *config, o.id, status, *seccomp, spec.report);
    if (!reports)
      return fail(reports.error());
    auto namespaces = open_namespaces(*config, record->pid);
    if (!namespaces)
      return fail(namespaces.error());
    auto child_namespaces = enter_parent_side_namespaces(std::move(*namespaces));
    if (!child_namespaces)
      return fail(child_namespaces.error());
    spec.namespaces = &*child_namespaces;
    UniqueFd console;
    if (!o.console_socket.empty()) {
      auto sock = connect_unix(o.console_socket);
      if (!sock)
        return fail(std::move(sock).error().context("--console-socket"));
      console = std::move(*sock);
      spec.console_socket = console.get();
    } else if (process->terminal) {
      if (o.detach)
        return fail(Error::of(Errc::kInvalidArgument,
                              "a terminal for a detached process needs --console-socket"));
      auto made = ConsoleRelay::make();
      if (!made)
        return fail(made.error());
      relay.emplace(std::move(*made));
      spec.console_socket = relay->console_socket();
    }
    auto channels = SyncChannel::make_pair();
    if (!channels)
      return fail(channels.error());
    // Named, not a structured binding: lambdas below capture them (clang 14 cannot).
    SyncChannel& parent_end = channels->first;
    SyncChannel& child_end = channels->second;
    // As in create: the child joins the v1 hierarchies itself and is born in the cgroup2 one.
    auto join = cgroups::open_join_handles(record->cgroup_paths);
    if (!join)
      return fail(join.error());
    spec.cgroup_join_fds = join->v1_task_fds();
    bool parent_moves_child = false;
    auto cloned = clone_into_cgroup(0, join->unified_fd(), parent_moves_child);
    if (!cloned)
      return fail(cloned.error());
    if (*cloned == 0) {
      parent_end.close();
      run_exec_child(spec, child_end);
    }
    child_end.close();
    pid = *cloned;
    auto step = [&]() -> Result<void> {
      KEEL_TRY(reports->hand_over(pid));
      KEEL_TRY(parent_end.expect(SyncMsg::kChildStarted));
      if (parent_moves_child)
        KEEL_TRY(cgroups::add_to_unified(record->cgroup_paths, pid));
      KEEL_TRY(parent_end.send(SyncMsg::kGo));
      KEEL_TRY(parent_end.expect(SyncMsg::kReady));
      return parent_end.expect_closed();
    };
    if (auto r = step(); !r) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      return fail(r.error());
    }
    if (!o.pid_file.empty()) {
      if (auto r = fs::write_file_atomic(o.pid_file, std::to_string(pid), 0644); !r)
        return fail(std::move(r).error().context("--pid-file"));
    }
  }  // the container's lock is released here: a long exec must not block kill or delete
  if (o.detach)
    return 0;
  if (relay) {
    auto attached = relay->attach();
    if (!attached || !*attached) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      return fail(attached ? Error::of(Errc::kInternal, "the process sent no pty master")
                           : attached.error());
    }
    return relay->relay_until_exit(pid, signals->signals());
  }
  return signals->wait_for(pid);
}

}  // namespace keel::runtime
