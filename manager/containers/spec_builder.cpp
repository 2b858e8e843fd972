// build_spec: docker's defaults (moby oci/defaults.go and daemon/oci_linux.go) then the flags.
#include "manager/containers/spec_builder.h"

#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <set>

#include "manager/containers/capabilities.h"
#include "manager/containers/host_devices.h"
#include "manager/containers/seccomp_profile.h"
#include "manager/containers/user_lookup.h"
#include "shimapi/annotations.h"

namespace keel::manager::containers {
namespace {

constexpr int64_t kMinMemoryBytes = 6 * 1024 * 1024;  // docker refuses less
constexpr uint64_t kCpuPeriodUs = 100000;
// RLIMIT_NOFILE as docker's containers get it under systemd's default (1024:524288): a soft
// limit old select() code survives, a hard limit servers may raise to.
constexpr uint64_t kNofileSoft = 1024;
constexpr uint64_t kNofileHard = 524288;

Error invalid(std::string what) {
  return Error::of(Errc::kInvalidArgument, std::move(what));
}

oci::Mount mount(std::string destination, std::string type, std::string source,
                 std::vector<std::string> options) {
  oci::Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

std::vector<oci::Mount> default_mounts(const RunOptions& run) {
  // sysfs and the cgroup tree are read-only unless --privileged (moby oci/defaults.go).
  const std::string sys_mode = run.privileged ? "rw" : "ro";
  return {
      mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {sys_mode, "nosuid", "noexec", "nodev"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/dev/shm", "tmpfs", "shm",
            {"nosuid", "noexec", "nodev", "mode=1777",
             "size=" + std::to_string(run.shm_size_bytes / 1024) + "k"}),
  };
}

std::size_t depth(const std::string& path) {
  return static_cast<std::size_t>(std::count(path.begin(), path.end(), '/'));
}

std::string clean_path(std::string p) {
  while (p.size() > 1 && p.back() == '/')
    p.pop_back();
  return p;
}

Result<std::vector<oci::Mount>> user_mounts(const ImageConfig& image, const RunOptions& run) {
  std::vector<oci::Mount> out;
  std::set<std::string> covered;
  auto host_dir_of = [&](const std::string& key, const std::string& what) -> Result<std::string> {
    auto it = run.volume_dirs.find(key);
    if (it == run.volume_dirs.end())
      return Error::of(Errc::kNotFound, what + " \"" + key + "\": no host directory given");
    return it->second;
  };
  for (const VolumeSpec& v : run.volumes) {
    std::string source = v.source;
    if (v.is_named()) {
      auto dir = host_dir_of(v.source, "volume");
      if (!dir)
        return std::move(dir).error();
      source = *dir;
    }
    std::vector<std::string> options = {"rbind",
                                        v.propagation.empty() ? "rprivate" : v.propagation};
    if (v.readonly)
      options.emplace_back("ro");
    out.push_back(mount(clean_path(v.destination), "bind", source, std::move(options)));
    covered.insert(clean_path(v.destination));
  }
  for (const TmpfsSpec& t : run.tmpfs) {
    // docker's tmpfs defaults; "exec", "suid" or "dev" among the options win over them.
    std::vector<std::string> options = {"noexec", "nosuid", "nodev"};
    for (const auto& o : t.options) {
      if (o == "exec" || o == "suid" || o == "dev")
        std::erase(options, "no" + o);
      options.push_back(o);
    }
    out.push_back(mount(clean_path(t.destination), "tmpfs", "tmpfs", std::move(options)));
    covered.insert(clean_path(t.destination));
  }
  for (const std::string& path : image.volumes) {
    if (covered.contains(clean_path(path)))
      continue;
    auto dir = host_dir_of(path, "anonymous volume");
    if (!dir)
      return std::move(dir).error();
    out.push_back(mount(clean_path(path), "bind", *dir, {"rbind", "rprivate"}));
  }
  // Parents before children, so a mount at /a/b is not hidden by a later one at /a.
  std::stable_sort(out.begin(), out.end(), [](const oci::Mount& a, const oci::Mount& b) {
    return depth(a.destination) < depth(b.destination);
  });
  return out;
}

std::string env_key(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

// docker's ReplaceOrAppendEnvValues: a later KEY=VALUE replaces an earlier one in place; a bare
// KEY removes it.
void merge_env(std::vector<std::string>& env, const std::vector<std::string>& overrides) {
  for (const std::string& entry : overrides) {
    const std::string key = env_key(entry);
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return env_key(e) == key; });
    if (entry.find('=') == std::string::npos) {
      if (it != env.end())
        env.erase(it);
    } else if (it != env.end()) {
      *it = entry;
    } else {
      env.push_back(entry);
    }
  }
}

std::vector<std::string> build_env(const ImageConfig& image, const RunOptions& run,
                                   const std::string& hostname, const std::string& home) {
  std::vector<std::string> merged;
  merge_env(merged, image.env);
  merge_env(merged, run.env);
  std::vector<std::string> env;
  auto has = [&](const char* key) {
    return std::any_of(merged.begin(), merged.end(),
                       [&](const std::string& e) { return env_key(e) == key; });
  };
  if (!has("PATH"))
    env.emplace_back(kDefaultPath);
  env.push_back("HOSTNAME=" + hostname);
  if (run.tty)
    env.emplace_back("TERM=xterm");
  merge_env(env, merged);
  if (!has("HOME"))
    env.push_back("HOME=" + home);
  return env;
}

Result<std::vector<std::string>> build_args(const ImageConfig& image, const RunOptions& run) {
  std::vector<std::string> args = run.entrypoint ? *run.entrypoint : image.entrypoint;
  // A new entrypoint drops the image's Cmd: it was written for the old one.
  const std::vector<std::string>& cmd =
      !run.args.empty() ? run.args : (run.entrypoint ? run.args : image.cmd);
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty())
    return invalid("no command specified");
  return args;
}

std::string default_hostname(const RunOptions& run, const SpecContext& ctx) {
  if (!run.hostname.empty())
    return run.hostname;
  if (run.network == NetworkMode::kHost) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0)
      return name;
  }
  return ctx.id.substr(0, 12);
}

uint64_t nofile_hard_of(const SpecContext& ctx) {
  if (ctx.nofile_hard)
    return *ctx.nofile_hard;
  rlimit own{};
  if (::getrlimit(RLIMIT_NOFILE, &own) == 0 && own.rlim_max != RLIM_INFINITY)
    return std::min<uint64_t>(kNofileHard, own.rlim_max);
  return kNofileHard;
}

bool host_has_cgroup2() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 &&
         fs.f_type == static_cast<decltype(fs.f_type)>(CGROUP2_SUPER_MAGIC);
}

oci::DeviceCgroup device_rule(bool allow, std::optional<std::string> type, std::string access,
                              std::optional<int64_t> major = {},
                              std::optional<int64_t> minor = {}) {
  return oci::DeviceCgroup{allow, std::move(type), std::move(access), major, minor};
}

// Deny all, then docker's allow-list: mknod of anything, and the few devices every container
// gets (null, zero, full, random, urandom, tty, pts, ptmx, tun).
std::vector<oci::DeviceCgroup> default_device_rules() {
  return {
      device_rule(false, std::nullopt, "rwm"),
      device_rule(true, "c", "m"),
      device_rule(true, "b", "m"),
      device_rule(true, "c", "rwm", 1, 3),
      device_rule(true, "c", "rwm", 1, 8),
      device_rule(true, "c", "rwm", 1, 7),
      device_rule(true, "c", "rwm", 5, 0),
      device_rule(true, "c", "rwm", 1, 5),
      device_rule(true, "c", "rwm", 1, 9),
      device_rule(true, "c", "rwm", 136, std::nullopt),
      device_rule(true, "c", "rwm", 5, 2),
      device_rule(true, "c", "rwm", 10, 200),
  };
}

Result<void> set_resources(const RunOptions& run, oci::Resources& r) {
  if (run.memory_bytes != 0) {
    if (run.memory_bytes < kMinMemoryBytes)
      return invalid("minimum memory limit allowed is 6MB");
    oci::Memory& m = r.memory.emplace();
    m.limit = run.memory_bytes;
    // docker's default --memory-swap is twice --memory: as much swap as memory.
    m.swap = run.memory_swap_bytes.value_or(2 * run.memory_bytes);
    if (*m.swap != -1 && *m.swap < *m.limit)
      return invalid("minimum memoryswap limit should be larger than memory limit");
  } else if (run.memory_swap_bytes) {
    return invalid("you should always set the memory limit when using memoryswap limit");
  }
  if (run.cpus < 0)
    return invalid("range of CPUs is from 0.01 to the number of CPUs available");
  if (run.cpus > 0) {
    oci::Cpu& c = r.cpu.emplace();
    c.period = kCpuPeriodUs;
    c.quota = static_cast<int64_t>(run.cpus * static_cast<double>(kCpuPeriodUs));
    if (*c.quota < 1000)
      return invalid("range of CPUs is from 0.01 to the number of CPUs available");
  }
  if (run.pids_limit && *run.pids_limit > 0)
    r.pids = oci::Pids{*run.pids_limit};
  return {};
}

Result<void> set_security(const RunOptions& run, const SpecContext& ctx, oci::Process& p,
                          oci::Linux& l) {
  std::vector<std::string> caps;
  if (run.privileged) {
    caps = all_capabilities();
  } else {
    auto changed = apply_cap_changes(run.cap_add, run.cap_drop);
    if (!changed)
      return std::move(changed).error();
    caps = std::move(*changed);
  }
  oci::Capabilities& c = p.capabilities.emplace();
  // No inheritable or ambient capabilities: with them an exec'd file capability could regain
  // what the bounding set dropped (CVE-2022-24769).
  c.bounding = caps;
  c.effective = caps;
  c.permitted = caps;
  p.no_new_privileges = run.no_new_privileges;
  const uint64_t nofile_hard = nofile_hard_of(ctx);
  p.rlimits = {oci::Rlimit{"RLIMIT_NOFILE", nofile_hard, std::min(kNofileSoft, nofile_hard)}};
  oci::Resources& r = *l.resources;
  if (run.privileged) {
    auto devices = host_devices(ctx.host_dev_dir);
    if (!devices)
      return std::move(devices).error();
    l.devices = std::move(*devices);
    r.devices = {device_rule(true, "a", "rwm")};
    return {};
  }
  r.devices = default_device_rules();
  l.seccomp = default_seccomp_profile(caps, ctx.arch);
  l.masked_paths = {"/proc/asound",
                    "/proc/acpi",
                    "/proc/kcore",
                    "/proc/keys",
                    "/proc/latency_stats",
                    "/proc/timer_list",
                    "/proc/timer_stats",
                    "/proc/sched_debug",
                    "/proc/scsi",
                    "/sys/firmware",
                    "/sys/devices/virtual/powercap"};
  l.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return {};
}

Result<oci::Process> build_process(const ImageConfig& image, const RunOptions& run,
                                   const SpecContext& ctx, const std::string& hostname) {
  oci::Process p;
  p.terminal = run.tty;
  auto args = build_args(image, run);
  if (!args)
    return std::move(args).error();
  p.args = std::move(*args);
  p.cwd = !run.workdir.empty() ? run.workdir : !image.working_dir.empty() ? image.working_dir : "/";
  if (p.cwd[0] != '/')
    return invalid("the working directory \"" + p.cwd +
                   "\" is invalid, it needs to be an absolute path");
  auto user = resolve_user(ctx.rootfs, !run.user.empty() ? run.user : image.user);
  if (!user)
    return std::move(user).error();
  p.user.uid = user->uid;
  p.user.gid = user->gid;
  p.user.additional_gids = user->additional_gids;
  p.env = build_env(image, run, hostname, user->home);
  return p;
}

}  // namespace

Result<oci::RuntimeConfig> build_spec(const ImageConfig& image, const RunOptions& run,
                                      const SpecContext& ctx) {
  if (ctx.id.empty() || ctx.rootfs.empty() || ctx.rootfs[0] != '/')
    return invalid("spec: a container id and an absolute rootfs path are required");
  oci::RuntimeConfig config;
  config.oci_version = std::string(oci::kOciVersion);
  config.root = oci::Root{ctx.rootfs, run.read_only};
  const std::string hostname = default_hostname(run, ctx);
  config.hostname = hostname;
  auto process = build_process(image, run, ctx, hostname);
  if (!process)
    return std::move(process).error();
  config.process = std::move(*process);

  auto mounts = user_mounts(image, run);
  if (!mounts)
    return std::move(mounts).error();
  config.mounts = default_mounts(run);
  // A user mount at a default's destination replaces it (a -v or --tmpfs at /dev/shm).
  std::erase_if(config.mounts, [&](const oci::Mount& d) {
    return std::any_of(mounts->begin(), mounts->end(),
                       [&](const oci::Mount& m) { return m.destination == d.destination; });
  });
  config.mounts.insert(config.mounts.end(), mounts->begin(), mounts->end());
  // keeld's files over the image's (a -v at the same place wins, as in docker).
  if (!ctx.etc_dir.empty()) {
    for (const char* name : {"hosts", "hostname", "resolv.conf"}) {
      const std::string destination = std::string("/etc/") + name;
      if (std::none_of(config.mounts.begin(), config.mounts.end(),
                       [&](const oci::Mount& m) { return m.destination == destination; }))
        config.mounts.push_back(
            mount(destination, "bind", ctx.etc_dir + "/" + name, {"rbind", "rprivate"}));
    }
  }

  oci::Linux& l = config.linux.emplace();
  for (const char* type : {"pid", "ipc", "uts", "mount"})
    l.namespaces.push_back(oci::Namespace{type, std::nullopt});
  if (run.network == NetworkMode::kNone)
    l.namespaces.push_back(oci::Namespace{"network", std::nullopt});
  else if (run.network != NetworkMode::kHost)
    l.namespaces.push_back(oci::Namespace{"network", ctx.netns_path});
  if (ctx.cgroup_ns.value_or(host_has_cgroup2()))
    l.namespaces.push_back(oci::Namespace{"cgroup", std::nullopt});
  l.cgroups_path = ctx.cgroups_path.empty() ? "/keel/" + ctx.id : ctx.cgroups_path;
  l.resources.emplace();
  KEEL_TRY(set_resources(run, *l.resources));
  KEEL_TRY(set_security(run, ctx, *config.process, l));

  config.annotations = run.labels;
  if (!ctx.log_path.empty())
    config.annotations[shimapi::kLogPathAnnotation] = ctx.log_path;
  if (auto valid = oci::validate(config); !valid)
    return std::move(valid).error().context("spec of container \"" + ctx.id + "\"");
  return config;
}

std::vector<std::string> volumes_needed(const ImageConfig& image, const RunOptions& run) {
  std::vector<std::string> out;
  std::set<std::string> covered;
  for (const VolumeSpec& v : run.volumes) {
    if (v.is_named() && std::find(out.begin(), out.end(), v.source) == out.end())
      out.push_back(v.source);
    covered.insert(clean_path(v.destination));
  }
  for (const TmpfsSpec& t : run.tmpfs)
    covered.insert(clean_path(t.destination));
  for (const std::string& path : image.volumes) {
    if (!covered.contains(clean_path(path)))
      out.push_back(path);
  }
  return out;
}

Result<int> stop_signal_of(const ImageConfig& image) {
  if (image.stop_signal.empty())
    return SIGTERM;
  return parse_signal(image.stop_signal);
}

}  // namespace keel::manager::containers
