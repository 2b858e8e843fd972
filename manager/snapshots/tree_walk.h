// A directory walk through fds (openat with O_NOFOLLOW from the top), in sorted name order with
// parents before children, for diff and layer export: a symlink swapped in by a running
// container is reported as a symlink, never followed.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>

#include "common/error.h"

namespace keel::manager::snapshots {

struct WalkEntry {
  std::string path;  // relative to the walked root, no leading slash: "etc/passwd"
  std::string name;  // last component
  int parent_fd;     // the directory holding it, valid during the callback
  struct stat st;
};

// fn returns true to descend into a directory entry (ignored for others).
using WalkFn = std::function<Result<bool>(const WalkEntry&)>;

[[nodiscard]] Result<void> walk_tree(int root_fd, const WalkFn& fn);

// Overlayfs's markers, as unpack writes them and the kernel creates them in an upper dir.
[[nodiscard]] bool is_whiteout(const struct stat& st) noexcept;
[[nodiscard]] bool is_opaque_dir(int dir_fd);

}  // namespace keel::manager::snapshots
