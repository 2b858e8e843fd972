// mount_cgroups: v2 is one cgroup2 mount; v1 (and hybrid) is a tmpfs holding one mount per
// hierarchy. In a new cgroup namespace the kernel roots fresh mounts at the container's cgroup;
// otherwise the container's own directories are bind-mounted, never the host's whole tree.
#include "runtime/rootfs/cgroup_mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secure_path.h"
#include "common/unique_fd.h"

namespace keel::runtime::rootfs {
namespace {

Result<void> mount_hierarchy(int dest_fd, const std::string& type, const std::string& options,
                             const std::string& container_path, bool fresh, unsigned long flags) {
  const std::string target = fd_path(dest_fd);
  if (fresh) {
    if (::mount("cgroup", target.c_str(), type.c_str(), flags,
                options.empty() ? nullptr : options.c_str()) != 0)
      return Error::sys("mount " + type + " " + options);
    return {};
  }
  MountOptions bind;
  bind.flags = flags | MS_BIND | MS_REC;
  if (auto r = bind_mount(container_path, dest_fd, bind); !r)
    return std::move(r).error().context("bind \"" + container_path + "\"");
  return {};
}

}  // namespace

Result<void> mount_cgroups(int root_fd, const oci::Mount& mount, const MountOptions& options,
                           const MountContext& context) {
  if (context.cgroups == nullptr)
    return Error::of(Errc::kInternal, "no cgroup layout for a cgroup mount");
  const CgroupMountInfo& info = *context.cgroups;
  const unsigned long flags =
      options.flags & ~static_cast<unsigned long>(MS_BIND | MS_REC | MS_REMOUNT);
  auto dest = ensure_in_root(root_fd, mount.destination, false);
  if (!dest)
    return dest.error();

  if (info.v1.empty()) {  // pure v2
    return mount_hierarchy(dest->get(), "cgroup2", "", info.unified_container_path,
                           info.new_cgroup_ns, flags);
  }

  // v1 or hybrid: a tmpfs to hold the hierarchies, read-only at the end if asked.
  if (::mount("tmpfs", fd_path(dest->get()).c_str(), "tmpfs",
              (flags & ~static_cast<unsigned long>(MS_RDONLY)), "mode=755") != 0)
    return Error::sys("mount tmpfs for cgroups");
  auto top = open_in_root(root_fd, mount.destination, O_PATH | O_DIRECTORY);
  if (!top)
    return top.error();
  auto one = [&](const std::string& name, const std::string& type, const std::string& opts,
                 const std::string& path) -> Result<void> {
    if (::mkdirat(top->get(), name.c_str(), 0755) != 0 && errno != EEXIST)
      return Error::sys("mkdir cgroup \"" + name + "\"");
    const int sub =
        ::openat(top->get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0)
      return Error::sys("open cgroup \"" + name + "\"");
    UniqueFd sub_fd(sub);
    return mount_hierarchy(sub_fd.get(), type, opts, path, info.new_cgroup_ns, flags);
  };
  for (const auto& h : info.v1)
    KEEL_TRY(one(h.dir_name, "cgroup", h.mount_options, h.container_path));
  if (info.has_unified && !info.unified_container_path.empty())
    KEEL_TRY(one(info.unified_dir_name, "cgroup2", "", info.unified_container_path));
  if (flags & MS_RDONLY) {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(top->get(), "", AT_EMPTY_PATH, &attr, sizeof attr) != 0)
      return Error::sys("make cgroup tmpfs read-only");
  }
  return {};
}

}  // namespace keel::runtime::rootfs
