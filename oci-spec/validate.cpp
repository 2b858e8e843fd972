// validate(): the runtime-spec MUSTs a JSON type check cannot express. Where the spec and runc
// differ, runc wins: Keel must accept every bundle runc accepts (e.g. relative mount destinations,
// unknown but well-formed capability names, which the spec says to warn about, not reject).
#include <algorithm>
#include <bitset>
#include <string>

#include "oci-spec/features.h"
#include "oci-spec/json_path.h"
#include "oci-spec/runtime_config.h"
#include "oci-spec/validate_rules.h"

namespace keel::oci {
namespace {

using detail::fail;
using detail::index_of;
using detail::JsonPath;
using detail::one_of;
using detail::quote;
using detail::require_known;

void require_range(int64_t value, int64_t min, int64_t max, const JsonPath& path) {
  if (value < min || value > max)
    fail(path, "must be from " + std::to_string(min) + " to " + std::to_string(max) + ", not " +
                   std::to_string(value));
}

// execve takes C strings: a NUL would silently cut the argument short.
void require_no_nul(const std::vector<std::string>& values, const JsonPath& path) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].find('\0') != std::string::npos)
      fail(path.at(i), "must not contain a NUL character");
  }
}

// runc refuses an entry without "=" or with an empty name, when it builds the environment.
void validate_env(const std::vector<std::string>& env, const JsonPath& path) {
  require_no_nul(env, path);
  for (std::size_t i = 0; i < env.size(); ++i) {
    const auto eq = env[i].find('=');
    if (eq == std::string::npos || eq == 0)
      fail(path.at(i), "must be \"NAME=value\", not " + quote(env[i]));
  }
}

// The schema's pattern for capability names. Unknown names that fit it are the runtime's to warn
// about (config.md: runtimes SHOULD NOT fail on capabilities that cannot be granted).
bool is_capability_name(std::string_view name) {
  if (name.size() <= 4 || name.substr(0, 4) != "CAP_")
    return false;
  return std::all_of(name.begin() + 4, name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void validate_capability_set(const std::optional<std::vector<std::string>>& set,
                             const JsonPath& path) {
  if (!set)
    return;
  for (std::size_t i = 0; i < set->size(); ++i) {
    if (!is_capability_name((*set)[i]))
      fail(path.at(i), "invalid capability name " + quote((*set)[i]));
  }
}

void validate_capabilities(const Capabilities& caps, const JsonPath& path) {
  validate_capability_set(caps.bounding, path.key("bounding"));
  validate_capability_set(caps.effective, path.key("effective"));
  validate_capability_set(caps.inheritable, path.key("inheritable"));
  validate_capability_set(caps.permitted, path.key("permitted"));
  validate_capability_set(caps.ambient, path.key("ambient"));
}

void validate_rlimits(const std::vector<Rlimit>& rlimits, const JsonPath& path) {
  std::bitset<64> seen;
  for (std::size_t i = 0; i < rlimits.size(); ++i) {
    const Rlimit& rlimit = rlimits[i];
    const JsonPath item = path.at(i);
    const int resource = index_of(known_rlimits(), rlimit.type);
    require_known(rlimit.type, resource >= 0, item.key("type"), "rlimit");
    if (seen.test(static_cast<std::size_t>(resource)))
      fail(item.key("type"), "duplicate rlimit " + quote(rlimit.type));
    seen.set(static_cast<std::size_t>(resource));
    if (rlimit.soft > rlimit.hard)
      fail(item.key("soft"),
           std::to_string(rlimit.soft) + " exceeds the hard limit " + std::to_string(rlimit.hard));
  }
}

// config.md execCPUAffinity: "^[0-9, -]*$", e.g. "0-3,7".
void validate_cpu_list(const std::optional<std::string>& cpus, const JsonPath& path) {
  if (!cpus)
    return;
  const bool ok = std::all_of(cpus->begin(), cpus->end(), [](char c) {
    return (c >= '0' && c <= '9') || c == ',' || c == ' ' || c == '-';
  });
  if (!ok)
    fail(path, "invalid CPU list " + quote(*cpus));
}

void validate_scheduler(const Scheduler& scheduler, const JsonPath& path) {
  require_known(scheduler.policy,
                one_of(scheduler.policy, {"SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
                                          "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE"}),
                path.key("policy"), "scheduling policy");
  const JsonPath flags = path.key("flags");
  for (std::size_t i = 0; i < scheduler.flags.size(); ++i) {
    if (!one_of(scheduler.flags[i],
                {"SCHED_FLAG_RESET_ON_FORK", "SCHED_FLAG_RECLAIM", "SCHED_FLAG_DL_OVERRUN",
                 "SCHED_FLAG_KEEP_POLICY", "SCHED_FLAG_KEEP_PARAMS", "SCHED_FLAG_UTIL_CLAMP_MIN",
                 "SCHED_FLAG_UTIL_CLAMP_MAX"}))
      fail(flags.at(i), "unknown scheduling flag " + quote(scheduler.flags[i]));
  }
}

void validate_process(const Process& process, const JsonPath& path) {
  const JsonPath args = path.key("args");
  if (process.args.empty())
    fail(args, "must be a non-empty array of strings");
  require_no_nul(process.args, args);
  const JsonPath cwd = path.key("cwd");
  if (process.cwd.empty())
    fail(cwd, "is required");
  if (process.cwd.front() != '/')
    fail(cwd, "must be an absolute path, not " + quote(process.cwd));
  validate_env(process.env, path.key("env"));
  if (process.capabilities) {
    const JsonPath caps = path.key("capabilities");
    validate_capabilities(*process.capabilities, caps);
  }
  validate_rlimits(process.rlimits, path.key("rlimits"));
  if (process.oom_score_adj) {
    const JsonPath oom = path.key("oomScoreAdj");
    require_range(*process.oom_score_adj, -1000, 1000, oom);
  }
  if (process.io_priority) {
    const JsonPath io = path.key("ioPriority");
    const JsonPath klass = io.key("class");
    const std::string& name = process.io_priority->klass;
    require_known(name, one_of(name, {"IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE"}),
                  klass, "I/O priority class");
    const JsonPath priority = io.key("priority");
    require_range(process.io_priority->priority, 0, 7, priority);
  }
  if (process.scheduler) {
    const JsonPath scheduler = path.key("scheduler");
    validate_scheduler(*process.scheduler, scheduler);
  }
  if (process.exec_cpu_affinity) {
    const JsonPath affinity = path.key("execCPUAffinity");
    validate_cpu_list(process.exec_cpu_affinity->initial, affinity.key("initial"));
    validate_cpu_list(process.exec_cpu_affinity->final, affinity.key("final"));
  }
}

// config.md: a relative destination is deprecated but MUST be taken as relative to "/".
void validate_mounts(const std::vector<Mount>& mounts, const JsonPath& path) {
  for (std::size_t i = 0; i < mounts.size(); ++i) {
    const Mount& mount = mounts[i];
    const JsonPath item = path.at(i);
    if (mount.destination.empty())
      fail(item.key("destination"), "is required");
    if (mount.uid_mappings.empty() != mount.gid_mappings.empty()) {
      const bool has_uid = !mount.uid_mappings.empty();
      fail(item.key(has_uid ? "uidMappings" : "gidMappings"),
           has_uid ? "must be set together with gidMappings"
                   : "must be set together with uidMappings");
    }
  }
}

void validate_hook_list(const std::vector<Hook>& hooks, const JsonPath& path) {
  for (std::size_t i = 0; i < hooks.size(); ++i) {
    const JsonPath item = path.at(i);
    if (hooks[i].path.empty())
      fail(item.key("path"), "is required");
    if (hooks[i].timeout && *hooks[i].timeout <= 0)
      fail(item.key("timeout"),
           "must be greater than zero, not " + std::to_string(*hooks[i].timeout));
  }
}

void validate_hooks(const Hooks& hooks, const JsonPath& path) {
  validate_hook_list(hooks.prestart, path.key("prestart"));
  validate_hook_list(hooks.create_runtime, path.key("createRuntime"));
  validate_hook_list(hooks.create_container, path.key("createContainer"));
  validate_hook_list(hooks.start_container, path.key("startContainer"));
  validate_hook_list(hooks.poststart, path.key("poststart"));
  validate_hook_list(hooks.poststop, path.key("poststop"));
}

}  // namespace

Result<void> validate(const RuntimeConfig& config) {
  try {
    const JsonPath root;
    if (config.oci_version.empty())
      fail(root.key("ociVersion"), "is required");
    if (!config.root)
      fail(root.key("root"), "is required");
    if (config.root->path.empty()) {
      const JsonPath root_object = root.key("root");
      fail(root_object.key("path"), "is required");
    }
    if (config.process)
      validate_process(*config.process, root.key("process"));
    validate_mounts(config.mounts, root.key("mounts"));
    if (config.hooks)
      validate_hooks(*config.hooks, root.key("hooks"));
    if (config.linux)
      detail::validate_linux(*config.linux, root.key("linux"));
  } catch (const detail::PathError& e) {
    return detail::to_error("config.json", e);
  }
  return {};
}

}  // namespace keel::oci
