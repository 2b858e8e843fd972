// Implements config-linux.md "Masked Paths" and "Readonly Paths" after pivot_root.
// A path the kernel or image lacks is skipped: the lists are written for many kernels.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "runtime/rootfs/rootfs.h"

namespace keel::runtime::rootfs {

Result<void> mask_path(const std::string& path) {
  // O_PATH | O_NOFOLLOW: a symlink in the container's tree is masked itself, never followed.
  const int fd = ::open(path.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return {};
    return Error::sys("mask \"" + path + "\"");
  }
  UniqueFd target(fd);
  struct stat st {};
  if (::fstat(target.get(), &st) != 0)
    return Error::sys("stat \"" + path + "\"");
  const std::string where = "/proc/self/fd/" + std::to_string(target.get());
  if (S_ISDIR(st.st_mode)) {
    if (::mount("tmpfs", where.c_str(), "tmpfs", MS_RDONLY, "size=0") != 0)
      return Error::sys("mask directory \"" + path + "\"");
  } else if (::mount("/dev/null", where.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    return Error::sys("mask \"" + path + "\"");
  }
  return {};
}

Result<void> make_path_readonly(const std::string& path) {
  const int tree =
      ::open_tree(AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) {
    if (errno == ENOENT)
      return {};
    return Error::sys("read-only path \"" + path + "\"");
  }
  UniqueFd tree_fd(tree);
  struct mount_attr attr {};
  attr.attr_set = MOUNT_ATTR_RDONLY;
  if (::mount_setattr(tree_fd.get(), "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) != 0)
    return Error::sys("make \"" + path + "\" read-only");
  if (::move_mount(tree_fd.get(), "", AT_FDCWD, path.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return Error::sys("attach read-only \"" + path + "\"");
  return {};
}

}  // namespace keel::runtime::rootfs
