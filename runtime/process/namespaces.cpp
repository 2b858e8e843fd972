// Namespace planning and the parent's id-map writes.
#include "runtime/process/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <array>

#include "common/fs.h"

namespace keel::runtime {
namespace {

struct NamespaceName {
  std::string_view name;
  int flag;
};

constexpr std::array kNamespaces{
    NamespaceName{"pid", CLONE_NEWPID},       NamespaceName{"network", CLONE_NEWNET},
    NamespaceName{"mount", CLONE_NEWNS},      NamespaceName{"ipc", CLONE_NEWIPC},
    NamespaceName{"uts", CLONE_NEWUTS},       NamespaceName{"user", CLONE_NEWUSER},
    NamespaceName{"cgroup", CLONE_NEWCGROUP}, NamespaceName{"time", CLONE_NEWTIME},
};

std::string format_map(const std::vector<oci::IdMapping>& mappings) {
  std::string out;
  for (const auto& m : mappings)
    out += std::to_string(m.container_id) + " " + std::to_string(m.host_id) + " " +
           std::to_string(m.size) + "\n";
  return out;
}

}  // namespace

Result<int> namespace_flag(std::string_view type) {
  for (const auto& ns : kNamespaces) {
    if (ns.name == type)
      return ns.flag;
  }
  return Error::of(Errc::kInvalidArgument, "unknown namespace \"" + std::string(type) + "\"");
}

Result<NamespacePlan> plan_namespaces(const oci::RuntimeConfig& config) {
  NamespacePlan plan;
  if (!config.linux)
    return plan;
  for (const auto& ns : config.linux->namespaces) {
    auto flag = namespace_flag(ns.type);
    if (!flag)
      return flag.error();
    plan.own |= static_cast<std::uint64_t>(*flag);
    if (ns.path && !ns.path->empty()) {
      const int fd = ::open(ns.path->c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return Error::sys("open " + ns.type + " namespace \"" + *ns.path + "\"");
      JoinNamespace join{UniqueFd(fd), *flag};
      if (*flag == CLONE_NEWPID)
        plan.join_pid = std::move(join);
      else if (*flag == CLONE_NEWUSER)
        plan.join_user = std::move(join);
      else
        plan.join.push_back(std::move(join));
      continue;
    }
    switch (*flag) {
      case CLONE_NEWUSER:
        plan.new_user = true;
        break;
      case CLONE_NEWCGROUP:
        plan.new_cgroup = true;
        continue;  // not a clone flag: see NamespacePlan::new_cgroup
      case CLONE_NEWTIME:
        plan.new_time = true;
        if (!config.linux->time_offsets.empty())
          continue;  // entered by the parent with its offsets
        break;
      default:
        break;
    }
    plan.clone_flags |= static_cast<std::uint64_t>(*flag);
  }
  return plan;
}

Result<void> write_id_maps(pid_t pid, const oci::Linux& linux) {
  const std::string proc = "/proc/" + std::to_string(pid);
  // Without CAP_SETGID in the parent namespace the kernel only accepts a gid_map after
  // setgroups is denied (user_namespaces(7)).
  if (::geteuid() != 0) {
    if (auto r = fs::write_file(proc + "/setgroups", "deny"); !r && r.error().errnum() != ENOENT)
      return std::move(r).error().context("deny setgroups");
  }
  if (!linux.uid_mappings.empty()) {
    if (auto r = fs::write_file(proc + "/uid_map", format_map(linux.uid_mappings)); !r)
      return std::move(r).error().context("linux.uidMappings");
  }
  if (!linux.gid_mappings.empty()) {
    if (auto r = fs::write_file(proc + "/gid_map", format_map(linux.gid_mappings)); !r)
      return std::move(r).error().context("linux.gidMappings");
  }
  return {};
}

Result<void> enter_new_time_namespace(const oci::Linux& linux) {
  if (::unshare(CLONE_NEWTIME) != 0)
    return Error::sys("unshare time namespace");
  std::string offsets;
  for (const auto& [clock, offset] : linux.time_offsets)
    offsets +=
        clock + " " + std::to_string(offset.secs) + " " + std::to_string(offset.nanosecs) + "\n";
  if (auto r = fs::write_file("/proc/self/timens_offsets", offsets); !r)
    return std::move(r).error().context("linux.timeOffsets");
  return {};
}

Result<void> join_namespaces(const NamespacePlan& plan) {
  if (plan.join_user.fd.valid() && ::setns(plan.join_user.fd.get(), CLONE_NEWUSER) != 0)
    return Error::sys("join user namespace");
  for (const auto& ns : plan.join) {
    if (::setns(ns.fd.get(), ns.nstype) != 0)
      return Error::sys("join namespace");
  }
  return {};
}

}  // namespace keel::runtime
