// Sorted, fd-relative directory walk.
#include "manager/snapshots/tree_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "common/unique_fd.h"

namespace keel::manager::snapshots {
namespace {

Result<std::vector<std::string>> sorted_names(int dir_fd) {
  // fdopendir takes ownership of the fd it is given: hand it a duplicate.
  const int dup = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0)
    return Error::sys("open directory");
  DIR* dir = ::fdopendir(dup);
  if (dir == nullptr) {
    const int errnum = errno;
    ::close(dup);
    return Error::sys("read directory", errnum);
  }
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* d = ::readdir(dir)) {
    const std::string_view name = d->d_name;
    if (name != "." && name != "..")
      names.emplace_back(name);
  }
  const int errnum = errno;
  ::closedir(dir);
  if (errnum != 0)
    return Error::sys("read directory", errnum);
  std::sort(names.begin(), names.end());
  return names;
}

Result<void> walk_dir(int dir_fd, const std::string& prefix, const WalkFn& fn) {
  auto names = sorted_names(dir_fd);
  if (!names)
    return std::move(names).error().context("\"" + (prefix.empty() ? "." : prefix) + "\"");
  for (const auto& name : *names) {
    WalkEntry e{prefix.empty() ? name : prefix + "/" + name, name, dir_fd, {}};
    if (::fstatat(dir_fd, name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT)
        continue;  // removed while we walked
      return Error::sys("stat \"" + e.path + "\"");
    }
    auto descend = fn(e);
    if (!descend)
      return std::move(descend).error();
    if (!*descend || !S_ISDIR(e.st.st_mode))
      continue;
    UniqueFd child(::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!child.valid())
      return Error::sys("open \"" + e.path + "\"");
    KEEL_TRY(walk_dir(child.get(), e.path, fn));
  }
  return {};
}

}  // namespace

Result<void> walk_tree(int root_fd, const WalkFn& fn) {
  return walk_dir(root_fd, "", fn);
}

bool is_whiteout(const struct stat& st) noexcept {
  return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

bool is_opaque_dir(int dir_fd) {
  char value[2] = {};
  const ssize_t n = ::fgetxattr(dir_fd, "trusted.overlay.opaque", value, sizeof value);
  return n == 1 && value[0] == 'y';
}

}  // namespace keel::manager::snapshots
