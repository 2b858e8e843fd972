// default_config(): the bundle config `runc spec` writes (runc 1.1, libcontainer/specconv's Example
// and ToRootless), with Keel's hostname and spec version, so bundles made for either runtime match.
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "oci-spec/runtime_config.h"

namespace keel::oci {
namespace {

// runc adds a cgroup namespace only where the unified hierarchy is mounted: on cgroup v1 the
// namespace would hide the per-controller paths the container's tools expect.
bool is_cgroup2_unified() {
  struct statfs fs {};
  return ::statfs("/sys/fs/cgroup", &fs) == 0 &&
         fs.f_type == static_cast<decltype(fs.f_type)>(CGROUP2_SUPER_MAGIC);
}

Mount mount(std::string destination, std::string type, std::string source,
            std::vector<std::string> options) {
  Mount m;
  m.destination = std::move(destination);
  m.type = std::move(type);
  m.source = std::move(source);
  m.options = std::move(options);
  return m;
}

Process default_process() {
  Process p;
  p.terminal = true;
  p.args = {"sh"};
  p.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"};
  p.cwd = "/";
  const std::vector<std::string> caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
  Capabilities& c = p.capabilities.emplace();
  c.bounding = caps;
  c.effective = caps;
  c.permitted = caps;
  c.ambient = caps;
  p.rlimits = {Rlimit{"RLIMIT_NOFILE", 1024, 1024}};
  p.no_new_privileges = true;
  return p;
}

std::vector<Mount> default_mounts() {
  return {
      mount("/proc", "proc", "proc", {}),
      mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      mount("/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  };
}

Linux default_linux() {
  Linux l;
  Resources& r = l.resources.emplace();
  r.devices = {DeviceCgroup{false, std::nullopt, "rwm", std::nullopt, std::nullopt}};
  for (const char* type : {"pid", "network", "ipc", "uts", "mount"})
    l.namespaces.push_back(Namespace{type, std::nullopt});
  if (is_cgroup2_unified())
    l.namespaces.push_back(Namespace{"cgroup", std::nullopt});
  l.masked_paths = {"/proc/acpi",        "/proc/asound",        "/proc/kcore",
                    "/proc/keys",        "/proc/latency_stats", "/proc/timer_list",
                    "/proc/timer_stats", "/proc/sched_debug",   "/sys/firmware",
                    "/proc/scsi"};
  l.readonly_paths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};
  return l;
}

// runc's ToRootless: a network namespace would leave the container without connectivity, so
// sysfs (which needs one the user owns) becomes a read-only bind of the host's; uid=/gid= mount
// options name ids the one-id user namespace does not map; cgroup limits need privileges.
void make_rootless(RuntimeConfig& config) {
  Linux& l = *config.linux;
  std::vector<Namespace> namespaces;
  for (Namespace& ns : l.namespaces) {
    if (ns.type != "network" && ns.type != "user")
      namespaces.push_back(std::move(ns));
  }
  namespaces.push_back(Namespace{"user", std::nullopt});
  l.namespaces = std::move(namespaces);
  l.uid_mappings = {IdMapping{0, static_cast<uint32_t>(::geteuid()), 1}};
  l.gid_mappings = {IdMapping{0, static_cast<uint32_t>(::getegid()), 1}};

  for (Mount& m : config.mounts) {
    if (m.destination == "/sys") {
      m = mount("/sys", "none", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"});
      continue;
    }
    std::erase_if(m.options, [](const std::string& option) {
      return option.starts_with("uid=") || option.starts_with("gid=");
    });
  }
  l.resources.reset();
}

}  // namespace

RuntimeConfig default_config(bool rootless) {
  RuntimeConfig config;
  config.oci_version = std::string(kOciVersion);
  config.process = default_process();
  config.root = Root{"rootfs", true};
  config.hostname = "keel";
  config.mounts = default_mounts();
  config.linux = default_linux();
  if (rootless)
    make_rootless(config);
  return config;
}

}  // namespace keel::oci
