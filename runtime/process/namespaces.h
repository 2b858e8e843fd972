// config-linux.md "Namespaces" and "User namespace mappings": which namespaces are new (clone
// flags), which are joined by path (fds opened by the parent, so a bad path fails create early),
// and the id maps the parent writes for a new user namespace.
#pragma once

#include <sys/types.h>

#include <string_view>
#include <utility>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime {

struct JoinNamespace {
  UniqueFd fd;
  int nstype = 0;  // CLONE_NEW*
};

struct NamespacePlan {
  std::uint64_t clone_flags = 0;  // new namespaces created by clone3 itself
  bool new_user = false;
  bool new_cgroup = false;  // unshared by the init after it joined its cgroup
  bool new_time = false;
  JoinNamespace join_user;          // joined first: it decides what joining the rest may do
  std::vector<JoinNamespace> join;  // the others joined by path, in config order
  JoinNamespace join_pid;           // pid namespace by path: entered by the parent before clone
  // Every namespace type the container has of its own, new or joined by path: a namespace joined
  // by path is the container's namespace (a pod's containers join their sandbox's this way), so
  // whatever needs "a uts namespace" or "a mount namespace" asks this, not the new_* flags.
  std::uint64_t own = 0;
  [[nodiscard]] bool has(int nstype) const noexcept {
    return (own & static_cast<std::uint64_t>(nstype)) != 0;
  }
};

[[nodiscard]] Result<int> namespace_flag(std::string_view type);
[[nodiscard]] Result<NamespacePlan> plan_namespaces(const oci::RuntimeConfig& config);

// Parent side, after clone: uid_map/gid_map (and setgroups "deny" when unprivileged).
[[nodiscard]] Result<void> write_id_maps(pid_t pid, const oci::Linux& linux);
// Parent side, before clone: a new time namespace with its offsets (they can only be written
// before any process lives in it, so the parent unshares and the child is born inside).
[[nodiscard]] Result<void> enter_new_time_namespace(const oci::Linux& linux);
// Child side: setns into every namespace joined by path, the user namespace first.
[[nodiscard]] Result<void> join_namespaces(const NamespacePlan& plan);

}  // namespace keel::runtime
