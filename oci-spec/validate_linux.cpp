// validate() for the linux object (config-linux.md): namespaces, devices, cgroup device rules,
// propagation, seccomp names and personality. Called from validate.cpp.
#include <algorithm>
#include <bitset>
#include <string>

#include "oci-spec/features.h"
#include "oci-spec/json_path.h"
#include "oci-spec/runtime_config.h"
#include "oci-spec/validate_rules.h"

namespace keel::oci::detail {
namespace {

// "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate
// an error."
void validate_namespaces(const std::vector<Namespace>& namespaces, const JsonPath& path) {
  std::bitset<16> seen;
  for (std::size_t i = 0; i < namespaces.size(); ++i) {
    const JsonPath item = path.at(i);
    const JsonPath type = item.key("type");
    const int kind = index_of(known_namespaces(), namespaces[i].type);
    require_known(namespaces[i].type, kind >= 0, type, "namespace");
    if (seen.test(static_cast<std::size_t>(kind)))
      fail(type, "duplicate namespace " + quote(namespaces[i].type));
    seen.set(static_cast<std::size_t>(kind));
  }
}

void validate_devices(const std::vector<Device>& devices, const JsonPath& path) {
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const JsonPath item = path.at(i);
    if (devices[i].type.empty())
      fail(item.key("type"), "is required");
    if (!one_of(devices[i].type, {"c", "b", "u", "p"}))
      fail(item.key("type"),
           "unknown device type " + quote(devices[i].type) + " (want c, b, u or p)");
    if (devices[i].path.empty())
      fail(item.key("path"), "is required");
  }
}

void validate_device_rules(const std::vector<DeviceCgroup>& rules, const JsonPath& path) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const JsonPath item = path.at(i);
    const DeviceCgroup& rule = rules[i];
    if (rule.type && !one_of(*rule.type, {"", "a", "c", "b"}))
      fail(item.key("type"), "unknown device type " + quote(*rule.type) + " (want a, c or b)");
    if (rule.access && rule.access->find_first_not_of("rwm") != std::string::npos)
      fail(item.key("access"),
           "invalid access " + quote(*rule.access) + " (want a combination of r, w and m)");
  }
}

void validate_resources(const Resources& resources, const JsonPath& path) {
  validate_device_rules(resources.devices, path.key("devices"));
  if (resources.memory && resources.memory->swappiness && *resources.memory->swappiness > 100) {
    const JsonPath memory = path.key("memory");
    fail(memory.key("swappiness"),
         "must be from 0 to 100, not " + std::to_string(*resources.memory->swappiness));
  }
}

// config-linux.md: errnoRet "When the action doesn't support an errno, the runtime MUST print and
// error and fail."
void validate_errno_ret(const std::optional<uint32_t>& errno_ret, const std::string& action,
                        const JsonPath& path) {
  if (errno_ret && action != "SCMP_ACT_ERRNO" && action != "SCMP_ACT_TRACE")
    fail(path, "only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not " + quote(action));
}

void validate_seccomp_action(const std::string& action, const JsonPath& path) {
  require_known(action, index_of(known_seccomp_actions(), action) >= 0, path, "seccomp action");
}

void validate_syscall_rule(const SyscallRule& rule, const JsonPath& path) {
  validate_seccomp_action(rule.action, path.key("action"));
  validate_errno_ret(rule.errno_ret, rule.action, path.key("errnoRet"));
  const JsonPath args = path.key("args");
  for (std::size_t i = 0; i < rule.args.size(); ++i) {
    const JsonPath arg = args.at(i);
    // A syscall has at most six arguments; libseccomp rejects a larger index.
    if (rule.args[i].index > 5)
      fail(arg.key("index"), "must be from 0 to 5, not " + std::to_string(rule.args[i].index));
    require_known(rule.args[i].op, index_of(known_seccomp_operators(), rule.args[i].op) >= 0,
                  arg.key("op"), "seccomp operator");
  }
}

void validate_seccomp(const Seccomp& seccomp, const JsonPath& path) {
  validate_seccomp_action(seccomp.default_action, path.key("defaultAction"));
  validate_errno_ret(seccomp.default_errno_ret, seccomp.default_action,
                     path.key("defaultErrnoRet"));
  const JsonPath archs = path.key("architectures");
  for (std::size_t i = 0; i < seccomp.architectures.size(); ++i) {
    if (index_of(known_seccomp_archs(), seccomp.architectures[i]) < 0)
      fail(archs.at(i), "unknown seccomp architecture " + quote(seccomp.architectures[i]));
  }
  const JsonPath flags = path.key("flags");
  for (std::size_t i = 0; i < seccomp.flags.size(); ++i) {
    if (index_of(known_seccomp_flags(), seccomp.flags[i]) < 0)
      fail(flags.at(i), "unknown seccomp flag " + quote(seccomp.flags[i]));
  }
  if (seccomp.listener_metadata && !seccomp.listener_path)
    fail(path.key("listenerMetadata"), "must not be set without listenerPath");
  const JsonPath syscalls = path.key("syscalls");
  for (std::size_t i = 0; i < seccomp.syscalls.size(); ++i)
    validate_syscall_rule(seccomp.syscalls[i], syscalls.at(i));
}

}  // namespace

void validate_linux(const Linux& linux, const JsonPath& path) {
  validate_namespaces(linux.namespaces, path.key("namespaces"));
  const JsonPath offsets = path.key("timeOffsets");
  for (const auto& [clock, offset] : linux.time_offsets) {
    if (clock != "monotonic" && clock != "boottime")
      fail(offsets.map_key(clock),
           "unknown clock " + quote(clock) + " (want monotonic or boottime)");
  }
  validate_devices(linux.devices, path.key("devices"));
  if (linux.resources)
    validate_resources(*linux.resources, path.key("resources"));
  // The spec's four values, runc's recursive forms, and "" (unset, to Go's decoder).
  if (linux.rootfs_propagation &&
      !one_of(*linux.rootfs_propagation, {"", "shared", "slave", "private", "unbindable", "rshared",
                                          "rslave", "rprivate", "runbindable"}))
    fail(path.key("rootfsPropagation"), "unknown propagation " + quote(*linux.rootfs_propagation));
  if (linux.seccomp)
    validate_seccomp(*linux.seccomp, path.key("seccomp"));
  if (linux.personality) {
    const JsonPath personality = path.key("personality");
    const std::string& domain = linux.personality->domain;
    require_known(domain, one_of(domain, {"LINUX", "LINUX32"}), personality.key("domain"),
                  "personality domain");
  }
}

}  // namespace keel::oci::detail
