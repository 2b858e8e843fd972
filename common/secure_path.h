// Path resolution confined to a root directory (openat2 RESOLVE_IN_ROOT), so a symlink under it
// can never send a mount, a copy or a new file outside it (the CVE-2021-30465 class). The runtime
// resolves mount targets in a container's rootfs with it; keeld resolves `cp` and archive paths.
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel {

// Opens `path` (absolute or relative, read as relative to root_fd) as if root_fd were "/".
[[nodiscard]] Result<UniqueFd> open_in_root(int root_fd, const std::string& path,
                                            int flags = O_PATH);

// Like open_in_root, but creates what is missing first: parents as directories (0755), the last
// component as a directory or, with as_file, an empty regular file. Returns an O_PATH fd.
[[nodiscard]] Result<UniqueFd> ensure_in_root(int root_fd, const std::string& path, bool as_file);

// "/proc/self/fd/N": lets mount(2) act on exactly the inode an fd holds.
[[nodiscard]] std::string fd_path(int fd);

}  // namespace keel
