// prepare_rootfs / enter_rootfs / finish_rootfs: the mount namespace of a new container.
#include "runtime/rootfs/rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "runtime/rootfs/devices.h"

namespace keel::runtime::rootfs {
namespace {

Result<unsigned long> propagation_flags(const std::string& name) {
  if (name == "shared")
    return MS_SHARED;
  if (name == "rshared")
    return MS_SHARED | MS_REC;
  if (name == "slave")
    return MS_SLAVE;
  if (name == "rslave")
    return MS_SLAVE | MS_REC;
  if (name == "private")
    return MS_PRIVATE;
  if (name == "rprivate")
    return MS_PRIVATE | MS_REC;
  if (name == "unbindable")
    return MS_UNBINDABLE;
  if (name == "runbindable")
    return MS_UNBINDABLE | MS_REC;
  return Error::of(Errc::kInvalidArgument,
                   "linux.rootfsPropagation: unknown value \"" + name + "\"");
}

bool mounts_dev(const oci::RuntimeConfig& config) {
  for (const auto& m : config.mounts) {
    if (m.destination == "/dev" || m.destination == "/dev/")
      return m.type.value_or("") != "bind";
  }
  return false;
}

}  // namespace

Result<void> prepare_rootfs(const oci::RuntimeConfig& config, const RootfsOptions& options) {
  // Nothing done below may propagate back to the host: make every mount a slave first (runc's
  // default), or what rootfsPropagation asks for.
  unsigned long root_propagation = MS_SLAVE | MS_REC;
  if (config.linux && config.linux->rootfs_propagation) {
    auto p = propagation_flags(*config.linux->rootfs_propagation);
    if (!p)
      return p.error();
    root_propagation = *p | MS_REC;
    // A shared root would leak the container's mounts to the host: keep it a slave meanwhile.
    if (root_propagation & MS_SHARED)
      root_propagation = MS_SLAVE | MS_REC;
  }
  if (::mount(nullptr, "/", nullptr, root_propagation, nullptr) != 0)
    return Error::sys("set propagation of \"/\"");

  // pivot_root needs the rootfs to be a mount point.
  if (::mount(options.rootfs.c_str(), options.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) !=
      0)
    return Error::sys("bind rootfs \"" + options.rootfs + "\"");

  const int root = ::open(options.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0)
    return Error::sys("open rootfs \"" + options.rootfs + "\"");
  UniqueFd root_fd(root);

  for (const auto& m : config.mounts)
    KEEL_TRY(mount_one(root_fd.get(), m, options.mounts));
  if (mounts_dev(config))
    KEEL_TRY(create_devices(root_fd.get(), config, options.mounts.in_user_ns));
  return {};
}

Result<void> enter_rootfs(const RootfsOptions& options) {
  if (options.no_pivot) {
    if (::chdir(options.rootfs.c_str()) != 0)
      return Error::sys("chdir to rootfs");
    if (::mount(options.rootfs.c_str(), "/", nullptr, MS_MOVE, nullptr) != 0)
      return Error::sys("move rootfs to \"/\"");
    if (::chroot(".") != 0)
      return Error::sys("chroot into rootfs");
    if (::chdir("/") != 0)
      return Error::sys("chdir to \"/\"");
    return {};
  }
  const int old_root = ::open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (old_root < 0)
    return Error::sys("open old root");
  UniqueFd old_root_fd(old_root);
  if (::chdir(options.rootfs.c_str()) != 0)
    return Error::sys("chdir to rootfs");
  // pivot_root(".", "."): the old root ends up stacked under the new one, then is detached, so
  // no directory of the host stays reachable (and no temporary put_old dir is needed).
  if (::syscall(SYS_pivot_root, ".", ".") != 0)
    return Error::sys("pivot_root");
  if (::fchdir(old_root_fd.get()) != 0)
    return Error::sys("fchdir to old root");
  // Slave first: unmounting must not propagate to the host's mounts.
  if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
    return Error::sys("make old root a slave");
  if (::umount2(".", MNT_DETACH) != 0)
    return Error::sys("detach old root");
  if (::chdir("/") != 0)
    return Error::sys("chdir to \"/\"");
  return {};
}

Result<void> finish_rootfs(const oci::RuntimeConfig& config) {
  if (config.linux) {
    for (const auto& path : config.linux->readonly_paths)
      KEEL_TRY(make_path_readonly(path));
    for (const auto& path : config.linux->masked_paths)
      KEEL_TRY(mask_path(path));
  }
  if (config.root && config.root->readonly) {
    struct mount_attr attr {};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(AT_FDCWD, "/", 0, &attr, sizeof attr) != 0)
      return Error::sys("make root read-only");
  }
  if (config.linux && config.linux->rootfs_propagation) {
    auto p = propagation_flags(*config.linux->rootfs_propagation);
    if (!p)
      return p.error();
    if (::mount(nullptr, "/", nullptr, *p, nullptr) != 0)
      return Error::sys("set rootfs propagation");
  }
  return {};
}

}  // namespace keel::runtime::rootfs
