// open_join_handles / join_v1_as_self: see join.h for why the child moves itself.
#include "runtime/cgroups/join.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/fs.h"
#include "runtime/cgroups/cgroup_fs.h"

namespace keel::runtime::cgroups {

std::vector<int> JoinHandles::v1_task_fds() const {
  std::vector<int> fds;
  fds.reserve(v1_tasks.size());
  for (const auto& fd : v1_tasks)
    fds.push_back(fd.get());
  return fds;
}

Result<JoinHandles> open_join_handles(const Paths& paths) {
  JoinHandles handles;
  handles.v1_tasks.reserve(paths.v1.size());
  for (const auto& [hierarchy, dir] : paths.v1) {
    auto fd = fs::open(detail::join(dir, "tasks"), O_WRONLY | O_CLOEXEC);
    if (!fd)
      return std::move(fd).error().context("cgroup \"" + hierarchy + "\"");
    handles.v1_tasks.push_back(std::move(*fd));
  }
  if (!paths.unified.empty()) {
    // Not O_PATH: clone3 resolves the fd with fdget, which refuses path-only files.
    auto fd = fs::open(paths.unified, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (!fd)
      return std::move(fd).error().context("cgroup2 directory");
    // clone3 would refuse it with a bare EBADF: name the path instead.
    struct statfs st {};
    if (::fstatfs(fd->get(), &st) != 0)
      return Error::sys("statfs cgroup2 directory \"" + paths.unified + "\"");
    if (st.f_type != CGROUP2_SUPER_MAGIC)
      return Error::of(
          Errc::kFailedPrecondition,
          "\"" + paths.unified + "\" is not on a cgroup2 filesystem (covered by another mount?)");
    handles.unified_dir = std::move(*fd);
  }
  return handles;
}

Result<void> join_v1_as_self(const std::vector<int>& fds) {
  for (const int fd : fds) {
    // "0" is the writer itself, and for a `tasks` file just the calling thread: the one case in
    // which the kernel does not take the global threadgroup lock.
    if (::write(fd, "0", 1) != 1)
      return Error::sys("join the container's v1 cgroup (tasks)");
    ::close(fd);  // the parent's UniqueFd owns its own copy; this is the child's, from clone
  }
  return {};
}

Result<void> add_to_unified(const Paths& paths, pid_t pid) {
  if (paths.unified.empty())
    return {};
  return detail::write_knob(paths.unified, "cgroup.procs", std::to_string(pid));
}

}  // namespace keel::runtime::cgroups
