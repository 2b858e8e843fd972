// create_container: runtime.md "create". The parent prepares everything the init needs, clones
// it into its namespaces, and steps it over the sync channel (see runtime/process/init.cpp):
//   (init joins its cgroups) kChildStarted → id maps → kGo → [kRuntimeHooks → hooks → kHooksDone] →
//   kReady.
// Every resource is held by a guard released on the last line, so a failure leaves nothing.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>

#include "common/fs.h"
#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "common/unix_socket.h"
#include "oci-spec/state.h"
#include "runtime/cgroups/default_devices.h"
#include "runtime/cgroups/join.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/create_context.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"
#include "runtime/process/clone.h"
#include "runtime/process/hooks.h"
#include "runtime/process/init.h"
#include "runtime/process/namespaces.h"
#include "runtime/rootfs/cgroup_mount.h"
#include "runtime/security/seccomp_cache.h"

namespace keel::runtime {
namespace {

bool has_cgroup_mount(const oci::RuntimeConfig& config) {
  for (const auto& m : config.mounts) {
    const auto type = m.type.value_or("");
    if (type == "cgroup" || type == "cgroup2")
      return true;
  }
  return false;
}

rootfs::CgroupMountInfo cgroup_mount_info(const cgroups::Layout& layout,
                                          const cgroups::Paths& paths, bool new_cgroup_ns) {
  rootfs::CgroupMountInfo info;
  info.new_cgroup_ns = new_cgroup_ns;
  for (const auto& [hierarchy, mountpoint] : layout.v1_mounts) {
    auto it = paths.v1.find(hierarchy);
    if (it == paths.v1.end())
      continue;
    rootfs::CgroupMountInfo::Hierarchy h;
    h.dir_name = mountpoint.substr(mountpoint.find_last_of('/') + 1);
    h.mount_options = hierarchy.rfind("name=", 0) == 0 ? "none," + hierarchy : hierarchy;
    h.container_path = it->second;
    info.v1.push_back(std::move(h));
  }
  if (!layout.unified_mount.empty() && !paths.unified.empty()) {
    info.has_unified = true;
    info.unified_dir_name =
        layout.mode == cgroups::Layout::Mode::kHybrid
            ? layout.unified_mount.substr(layout.unified_mount.find_last_of('/') + 1)
            : "";
    info.unified_container_path = paths.unified;
  }
  return info;
}

// A rootless container without a cgroup of its own is shown its creator's, as runc does.
cgroups::Paths own_cgroups(const cgroups::Layout& layout) {
  const auto own = [&](const std::string& hierarchy, const std::string& mountpoint) {
    const auto it = layout.self_cgroup.find(hierarchy);
    const std::string rel = it == layout.self_cgroup.end() ? "/" : it->second;
    return rel == "/" ? mountpoint : mountpoint + rel;
  };
  cgroups::Paths paths;
  for (const auto& [hierarchy, mountpoint] : layout.v1_mounts)
    paths.v1[hierarchy] = own(hierarchy, mountpoint);
  if (!layout.unified_mount.empty())
    paths.unified = own("", layout.unified_mount);
  return paths;
}

// Kills and reaps the init unless released: a failed create leaves no process behind.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid) : pid_(pid) {}
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  // Reaps a child that already died and says how, for the error message.
  std::string reap_status() {
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, 0) != pid_)
      return {};
    pid_ = 0;
    if (WIFEXITED(status))
      return "exit status " + std::to_string(WEXITSTATUS(status));
    return "signal " + std::to_string(WTERMSIG(status));
  }
  void release() noexcept { pid_ = 0; }

 private:
  pid_t pid_;
};

std::string state_json(const std::string& id, const char* status, pid_t pid,
                       const std::string& bundle,
                       const std::map<std::string, std::string>& annotations) {
  oci::State state;
  state.oci_version = std::string(oci::kOciVersion);
  state.id = id;
  state.status = status;
  state.pid = pid;
  state.bundle = bundle;
  state.annotations = annotations;
  return oci::to_json(state);
}

// config.json, exec.fifo and the directory's mode, in the container's state directory.
Result<void> write_state_files(const ContainerDir& dir, const std::string& config_text) {
  KEEL_TRY(fs::write_file_atomic(dir.config_path(), config_text));
  // chmod after mkfifo: the umask must not take away the write bit the container's uid needs.
  if (::mkfifo(dir.fifo_path().c_str(), 0622) != 0 || ::chmod(dir.fifo_path().c_str(), 0622) != 0)
    return Error::sys("mkfifo exec.fifo");
  // 0711: the init opens exec.fifo through this directory after it took the container's uid.
  if (::fchmod(dir.fd(), 0711) != 0)
    return Error::sys("chmod state directory");
  return {};
}

// cgroups: root-owned hierarchies only; a rootless create without delegation runs without.
Result<std::unique_ptr<cgroups::Manager>> make_cgroup(const cgroups::Layout& layout,
                                                      const oci::RuntimeConfig& config,
                                                      const std::string& id) {
  if (::geteuid() != 0)
    return std::unique_ptr<cgroups::Manager>();
  const std::optional<std::string> path =
      config.linux ? config.linux->cgroups_path : std::optional<std::string>{};
  auto manager = cgroups::make_manager(layout, path, id);
  if (!manager)
    return manager.error();
  KEEL_TRY((*manager)->create());
  return std::move(*manager);
}

// Everything the init is told that comes straight from the config and the options.
InitSpec make_init_spec(const CreateContext& ctx, const CreateOptions& options,
                        const ContainerDir& dir, int dir_path_fd) {
  const oci::RuntimeConfig& config = ctx.config;
  const oci::Hooks empty_hooks;
  const oci::Hooks& hooks = config.hooks ? *config.hooks : empty_hooks;
  InitSpec spec;
  spec.config = &config;
  spec.rootfs.rootfs = ctx.rootfs;
  spec.rootfs.no_pivot = options.no_pivot;
  spec.rootfs.mounts.bundle = ctx.bundle;
  spec.rootfs.mounts.in_user_ns = ctx.namespaces.has(CLONE_NEWUSER);
  spec.namespaces = &ctx.namespaces;
  spec.capabilities = ctx.capabilities;
  spec.seccomp = ctx.seccomp ? &*ctx.seccomp : nullptr;
  spec.state_dir_fd = dir_path_fd;
  spec.state_lock_fd = dir.fd();
  spec.preserve_fds = options.preserve_fds;
  spec.stdio = options.init_stdio;
  spec.reset_signal_dispositions = options.reset_signal_dispositions;
  if (!options.no_new_keyring)
    spec.session_keyring = options.id;
  spec.sync_runtime_hooks = !hooks.prestart.empty() || !hooks.create_runtime.empty();
  spec.setgroups_allowed = !ctx.namespaces.new_user || ::geteuid() == 0;
  return spec;
}

// The connected --console-socket, or none.
Result<UniqueFd> connect_console(const CreateOptions& options) {
  if (options.console_socket.empty())
    return UniqueFd();
  auto sock = connect_unix(options.console_socket);
  if (!sock)
    return std::move(sock).error().context("--console-socket");
  return std::move(*sock);
}

// What a cgroup mount in the container shows: the container's own cgroups.
rootfs::CgroupMountInfo cgroup_mounts_for(const CreateContext& ctx, const cgroups::Layout& layout,
                                          const cgroups::Manager* cgroup) {
  if (!has_cgroup_mount(ctx.config))
    return {};
  return cgroup_mount_info(layout, cgroup ? cgroup->paths() : own_cgroups(layout),
                           ctx.namespaces.has(CLONE_NEWCGROUP));
}

// The init's state (for createContainer/startContainer hooks and a seccomp agent) and the
// channels that carry it.
Result<ReportChannels> open_reports(const CreateContext& ctx, const std::string& id,
                                    const oci::Hooks& hooks, InitReport& report) {
  const oci::RuntimeConfig& config = ctx.config;
  report.state =
      oci::State{std::string(oci::kOciVersion), id, "creating", 0, ctx.bundle, config.annotations};
  return open_report_channels(
      !hooks.create_container.empty() || !hooks.start_container.empty(),
      config.linux && config.linux->seccomp ? &*config.linux->seccomp : nullptr,
      ctx.seccomp && ctx.seccomp->uses_notify, report);
}

// Namespaces the parent enters so the init is born inside them: a pid namespace joined by path,
// a new time namespace with its offsets. Both only change where the caller's *children* are born,
// and are put back once the init is: create may run inside a long-lived caller (keel-shim), whose
// later children (hooks, exec'd processes) must be born in its own.
class ParentNamespaces {
 public:
  ParentNamespaces() = default;
  ParentNamespaces(const ParentNamespaces&) = delete;
  ParentNamespaces& operator=(const ParentNamespaces&) = delete;
  ~ParentNamespaces() {
    if (pid_.valid() && ::setns(pid_.get(), CLONE_NEWPID) != 0)
      warn(Error::sys("return to the caller's pid namespace"));
    if (time_.valid() && ::setns(time_.get(), CLONE_NEWTIME) != 0)
      warn(Error::sys("return to the caller's time namespace"));
  }

  Result<void> enter(const CreateContext& ctx) {
    if (ctx.namespaces.join_pid.fd.valid()) {
      auto own = fs::open("/proc/self/ns/pid", O_RDONLY);
      if (!own)
        return own.error();
      if (::setns(ctx.namespaces.join_pid.fd.get(), CLONE_NEWPID) != 0)
        return Error::sys("join pid namespace");
      pid_ = std::move(*own);
    }
    const auto& linux = ctx.config.linux;
    if (ctx.namespaces.new_time && linux && !linux->time_offsets.empty()) {
      auto own = fs::open("/proc/self/ns/time", O_RDONLY);
      if (!own)
        return own.error();
      time_ = std::move(*own);  // before: a half-done entry is undone too
      KEEL_TRY(enter_new_time_namespace(*linux));
    }
    return {};
  }

 private:
  UniqueFd pid_;
  UniqueFd time_;
};

// runtime.md: prestart, then createRuntime, in the runtime's namespace, while the init waits.
Result<void> run_runtime_hooks(const CreateContext& ctx, const std::string& id, pid_t pid,
                               const oci::Hooks& hooks) {
  const std::string state = state_json(id, "creating", pid, ctx.bundle, ctx.config.annotations);
  KEEL_TRY(run_hooks(hooks.prestart, "prestart", state));
  return run_hooks(hooks.create_runtime, "createRuntime", state);
}

ContainerRecord make_record(const CreateContext& ctx, const std::string& id, pid_t pid,
                            const cgroups::Manager* cgroup) {
  ContainerRecord record;
  record.id = id;
  record.pid = pid;
  record.pid_start_time = process_start_time(pid);
  record.bundle = ctx.bundle;
  record.rootfs = ctx.rootfs;
  record.created = now_rfc3339();
  record.annotations = ctx.config.annotations;
  record.has_hooks = ctx.config.hooks.has_value();
  if (cgroup != nullptr)
    record.cgroup_paths = cgroup->paths();
  return record;
}

// What stepping the init needs besides its pid and channel.
struct InitSteps {
  const CreateContext& ctx;
  const std::string& id;
  const InitSpec& spec;
  const oci::Hooks& hooks;
  const cgroups::Manager* cgroup;
  bool parent_moves_child;
};

// Steps the cloned init to kReady (see the file comment). An init that dies on the way is reaped
// and the error says how.
Result<void> step_init_to_ready(const InitSteps& steps, pid_t pid, SyncChannel& parent_end,
                                ChildGuard& child) {
  const oci::RuntimeConfig& config = steps.ctx.config;
  auto child_failed = [&](Error e) {
    // EOF: the init died without a word; say how.
    if (e.kind() == Errc::kUnavailable)
      e.add_context("init " + child.reap_status());
    return e;
  };
  if (auto r = parent_end.expect(SyncMsg::kChildStarted); !r)
    return child_failed(r.error());
  if (steps.ctx.namespaces.new_user && config.linux)
    KEEL_TRY(write_id_maps(pid, *config.linux));
  if (steps.parent_moves_child)
    KEEL_TRY(cgroups::add_to_unified(steps.cgroup->paths(), pid));
  KEEL_TRY(parent_end.send(SyncMsg::kGo));
  if (steps.spec.sync_runtime_hooks) {
    if (auto r = parent_end.expect(SyncMsg::kRuntimeHooks); !r)
      return child_failed(r.error());
    KEEL_TRY(run_runtime_hooks(steps.ctx, steps.id, pid, steps.hooks));
    KEEL_TRY(parent_end.send(SyncMsg::kHooksDone));
  }
  if (auto r = parent_end.expect(SyncMsg::kReady); !r)
    return child_failed(r.error());
  return {};
}

}  // namespace

Result<pid_t> create_container(const StateStore& store, const CreateOptions& options) {
  auto prepared = prepare_create(options, store.root() + "/" + security::kSeccompCacheDir);
  if (!prepared)
    return std::move(prepared).error().context("create \"" + options.id + "\"");
  CreateContext& ctx = *prepared;
  const oci::RuntimeConfig& config = ctx.config;
  auto dir = store.create(options.id);
  if (!dir)
    return dir.error();
  ScopeGuard remove_dir([&] {
    if (auto r = dir->remove(); !r)
      warn(std::move(r).error().context("remove state of the failed container"));
  });
  auto fail = [&](Error e) { return std::move(e).context("create \"" + options.id + "\""); };

  if (auto r = write_state_files(*dir, ctx.config_text); !r)
    return fail(r.error());
  auto dir_path = fs::open(dir->path(), O_PATH | O_DIRECTORY);
  if (!dir_path)
    return fail(dir_path.error());

  auto layout = cgroups::detect_layout();
  if (!layout)
    return fail(layout.error());
  auto made = make_cgroup(*layout, config, options.id);
  if (!made)
    return fail(made.error());
  std::unique_ptr<cgroups::Manager> cgroup = std::move(*made);
  ScopeGuard destroy_cgroup([&] {
    if (!cgroup)
      return;
    if (auto r = cgroup->destroy(); !r)
      warn(std::move(r).error().context("remove cgroup of the failed container"));
  });
  if (cgroup && config.linux) {
    if (auto r = cgroup->apply(cgroups::effective_resources(config)); !r)
      return fail(std::move(r).error().context("linux.resources"));
  }
  auto console = connect_console(options);
  if (!console)
    return fail(console.error());
  const rootfs::CgroupMountInfo cgroup_mounts = cgroup_mounts_for(ctx, *layout, cgroup.get());

  const oci::Hooks empty_hooks;
  const oci::Hooks& hooks = config.hooks ? *config.hooks : empty_hooks;
  InitSpec spec = make_init_spec(ctx, options, *dir, dir_path->get());
  spec.rootfs.mounts.cgroups = &cgroup_mounts;
  spec.console_socket = console->valid() ? console->get() : options.console_fd;
  auto reports = open_reports(ctx, options.id, hooks, spec.report);
  if (!reports)
    return fail(reports.error());

  auto channels = SyncChannel::make_pair();
  if (!channels)
    return fail(channels.error());
  // Named, not a structured binding: lambdas below capture them (clang 14 cannot).
  SyncChannel& parent_end = channels->first;
  SyncChannel& child_end = channels->second;

  ParentNamespaces parent_namespaces;
  if (auto r = parent_namespaces.enter(ctx); !r)
    return fail(r.error());

  // The init places itself in the v1 hierarchies and is born in the cgroup2 one: see join.h.
  auto join = cgroups::open_join_handles(cgroup ? cgroup->paths() : cgroups::Paths{});
  if (!join)
    return fail(join.error());
  spec.cgroup_join_fds = join->v1_task_fds();
  bool parent_moves_child = false;
  auto pid = clone_into_cgroup(ctx.namespaces.clone_flags, join->unified_fd(), parent_moves_child);
  if (!pid)
    return fail(pid.error());
  if (*pid == 0) {
    parent_end.close();
    run_container_init(spec, child_end);
  }
  child_end.close();
  ChildGuard child(*pid);
  if (auto r = reports->hand_over(*pid); !r)
    return fail(r.error());
  if (auto r = step_init_to_ready({ctx, options.id, spec, hooks, cgroup.get(), parent_moves_child},
                                  *pid, parent_end, child);
      !r)
    return fail(r.error());

  if (auto r = dir->save(make_record(ctx, options.id, *pid, cgroup.get())); !r)
    return fail(r.error());
  if (!options.pid_file.empty()) {
    if (auto r = fs::write_file_atomic(options.pid_file, std::to_string(*pid), 0644); !r)
      return fail(std::move(r).error().context("--pid-file"));
  }
  child.release();
  destroy_cgroup.release();
  remove_dir.release();
  return *pid;
}

}  // namespace keel::runtime
