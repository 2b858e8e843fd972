// Confined resolution with openat2(2); every created component is made relative to a resolved
// parent fd, never by a host path string.
#include "common/secure_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace keel {
namespace {

std::string relative(const std::string& path) {
  size_t i = 0;
  while (i < path.size() && path[i] == '/')
    ++i;
  std::string out = path.substr(i);
  return out.empty() ? "." : out;
}

int openat2_in_root(int root_fd, const std::string& rel, int flags) {
  struct open_how how {};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = -1;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
  } while (fd < 0 && errno == EAGAIN);  // a concurrent rename elsewhere: retry, as the man says
  return fd;
}

}  // namespace

std::string fd_path(int fd) {
  return "/proc/self/fd/" + std::to_string(fd);
}

Result<UniqueFd> open_in_root(int root_fd, const std::string& path, int flags) {
  const int fd = openat2_in_root(root_fd, relative(path), flags);
  if (fd < 0)
    return Error::sys("open \"" + path + "\" in rootfs");
  return UniqueFd(fd);
}

Result<UniqueFd> ensure_in_root(int root_fd, const std::string& path, bool as_file) {
  const std::string rel = relative(path);
  int fd = openat2_in_root(root_fd, rel, O_PATH);
  if (fd >= 0)
    return UniqueFd(fd);
  if (errno != ENOENT)
    return Error::sys("open \"" + path + "\" in rootfs");

  const auto slash = rel.find_last_of('/');
  const std::string parent = slash == std::string::npos ? "." : rel.substr(0, slash);
  const std::string name = slash == std::string::npos ? rel : rel.substr(slash + 1);
  auto parent_fd = parent == "." ? open_in_root(root_fd, ".", O_PATH | O_DIRECTORY)
                                 : ensure_in_root(root_fd, parent, false);
  if (!parent_fd)
    return parent_fd;
  // Neither mkdirat nor openat(O_CREAT | O_EXCL) follows a symlink at `name`: a planted link
  // fails with EEXIST here and is then resolved, confined, by open_in_root.
  if (as_file) {
    const int created =
        ::openat(parent_fd->get(), name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
    if (created < 0 && errno != EEXIST)
      return Error::sys("create \"" + path + "\" in rootfs");
    UniqueFd closer(created);
  } else if (::mkdirat(parent_fd->get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
    return Error::sys("mkdir \"" + path + "\" in rootfs");
  }
  return open_in_root(root_fd, rel, O_PATH);
}

}  // namespace keel
