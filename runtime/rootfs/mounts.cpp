// mount_one: resolve the destination confined to the rootfs, then mount onto that exact inode.
#include "runtime/rootfs/mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/secure_path.h"
#include "runtime/rootfs/cgroup_mount.h"
#include "runtime/rootfs/mount_options.h"

namespace keel::runtime::rootfs {
namespace {

std::string quoted(const std::string& s) {
  return "\"" + s + "\"";
}

}  // namespace

Result<void> bind_mount(const std::string& source, int dest_fd, const MountOptions& opts) {
  const bool recursive = (opts.flags & MS_REC) != 0;
  const int tree =
      ::open_tree(AT_FDCWD, source.c_str(),
                  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
  if (tree < 0)
    return Error::sys("clone mount " + quoted(source));
  UniqueFd tree_fd(tree);
  std::uint64_t attr_set = 0;
  std::uint64_t attr_clr = 0;
  flags_to_attributes(opts.flags, attr_set, attr_clr);
  if (attr_set != 0 || attr_clr != 0)
    KEEL_TRY(set_mount_attributes(tree_fd.get(), attr_set, attr_clr, 0, false));
  if (::move_mount(tree_fd.get(), "", dest_fd, "",
                   MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) != 0)
    return Error::sys("attach bind mount of " + quoted(source));
  if (opts.attr_set != 0 || opts.attr_clr != 0 || opts.propagation != 0)
    KEEL_TRY(set_mount_attributes(tree_fd.get(), opts.attr_set, opts.attr_clr,
                                  opts.propagation & ~static_cast<unsigned long>(MS_REC), true));
  return {};
}

namespace {

Result<void> fs_mount(int root_fd, const oci::Mount& m, int dest_fd, const MountOptions& opts) {
  const std::string type = m.type.value_or("");
  const std::string source = m.source.value_or(type);
  const unsigned long flags = opts.flags & ~static_cast<unsigned long>(MS_REMOUNT);
  if (::mount(source.c_str(), fd_path(dest_fd).c_str(), type.c_str(), flags,
              opts.data.empty() ? nullptr : opts.data.c_str()) != 0)
    return Error::sys("mount " + type + " on " + quoted(m.destination));
  if (opts.attr_set == 0 && opts.attr_clr == 0 && opts.propagation == 0)
    return {};
  // The fd still names the covered directory; resolve again to reach the new mount's root.
  auto mounted = open_in_root(root_fd, m.destination, O_PATH | O_DIRECTORY);
  if (!mounted)
    return mounted.error();
  return set_mount_attributes(
      mounted->get(), opts.attr_set, opts.attr_clr,
      opts.propagation & ~static_cast<unsigned long>(MS_REC),
      (opts.propagation & MS_REC) != 0 || opts.attr_set != 0 || opts.attr_clr != 0);
}

}  // namespace

void flags_to_attributes(unsigned long flags, std::uint64_t& attr_set, std::uint64_t& attr_clr) {
  if (flags & MS_RDONLY)
    attr_set |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    attr_set |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    attr_set |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    attr_set |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    attr_set |= MOUNT_ATTR_NODIRATIME;
  // Access-time modes are one field: setting one means clearing the field first.
  if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)) {
    attr_clr |= MOUNT_ATTR__ATIME;
    if (flags & MS_NOATIME)
      attr_set |= MOUNT_ATTR_NOATIME;
    else if (flags & MS_STRICTATIME)
      attr_set |= MOUNT_ATTR_STRICTATIME;
    else
      attr_set |= MOUNT_ATTR_RELATIME;
  }
}

Result<void> set_mount_attributes(int fd, std::uint64_t attr_set, std::uint64_t attr_clr,
                                  std::uint64_t propagation, bool recursive) {
  struct mount_attr attr {};
  attr.attr_set = attr_set;
  attr.attr_clr = attr_clr;
  attr.propagation = propagation;
  if (::mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr, sizeof attr) !=
      0)
    return Error::sys("set mount attributes");
  return {};
}

Result<void> mount_one(int root_fd, const oci::Mount& m, const MountContext& context) {
  auto opts_r = parse_mount_options(m.options);
  if (!opts_r)
    return std::move(opts_r).error().context("mount " + quoted(m.destination));
  const MountOptions& opts = *opts_r;
  const std::string type = m.type.value_or("");

  if (type == "cgroup" || type == "cgroup2") {
    if (auto r = mount_cgroups(root_fd, m, opts, context); !r)
      return std::move(r).error().context("mount " + quoted(m.destination));
    return {};
  }

  const bool bind = opts.is_bind() || type == "bind";
  std::string source = m.source.value_or("");
  bool as_file = false;
  if (bind) {
    if (source.empty())
      return Error::of(Errc::kInvalidArgument,
                       "mount " + quoted(m.destination) + ": bind mount needs a source");
    if (source[0] != '/')
      source = context.bundle + "/" + source;
    struct stat st {};
    if (::stat(source.c_str(), &st) != 0)
      return Error::sys("bind mount source " + quoted(source));
    as_file = !S_ISDIR(st.st_mode);
  }
  auto dest = ensure_in_root(root_fd, m.destination, as_file);
  if (!dest)
    return std::move(dest).error().context("mount " + quoted(m.destination));
  Result<void> r =
      bind ? bind_mount(source, dest->get(), opts) : fs_mount(root_fd, m, dest->get(), opts);
  if (!r && bind)
    return std::move(r).error().context("mount " + quoted(m.destination));
  return r;
}

}  // namespace keel::runtime::rootfs
