// Resolves docker's -u / image User ("uid", "name", "uid:gid", "name:group", ...) to ids against
// the container's own /etc/passwd and /etc/group, read inside the rootfs so that no symlink in
// an image can point the lookup at the host's files.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::containers {

struct ResolvedUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> additional_gids;  // groups of /etc/group that list the user by name
  std::string home = "/";              // from passwd; "/" when the user has no entry
};

// An empty spec is root. A numeric uid without a passwd entry is accepted with gid 0 (or the
// given gid), as docker does; a name without an entry is kNotFound: "unable to find user NAME:
// no matching entries in passwd file". Missing /etc files count as empty.
[[nodiscard]] Result<ResolvedUser> resolve_user(const std::string& rootfs, std::string_view spec);

// The same rules over file contents (tests, and callers that already read the files).
[[nodiscard]] Result<ResolvedUser> resolve_user_in(std::string_view passwd, std::string_view group,
                                                   std::string_view spec);

// Reads `path` (absolute, as the container sees it) inside `rootfs`, resolving every symlink and
// ".." within it (openat2 RESOLVE_IN_ROOT); at most `max_bytes`.
[[nodiscard]] Result<std::string> read_in_rootfs(const std::string& rootfs, const std::string& path,
                                                 std::size_t max_bytes = 1 << 20);

}  // namespace keel::manager::containers
