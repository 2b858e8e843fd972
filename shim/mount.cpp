// mount_rootfs: fstab options split into mount(2) flags and data; bind mounts made read-only by
// a second remount, as the kernel ignores MS_RDONLY on the first bind.
#include "shim/mount.h"

#include <sys/mount.h>

#include <map>

#include <spdlog/spdlog.h>

namespace keel::shim {
namespace {

struct Parsed {
  unsigned long flags = 0;
  std::string data;
};

Parsed parse_options(const std::vector<std::string>& options) {
  struct Flag {
    bool clear;
    unsigned long bit;
  };
  static const std::map<std::string, Flag> kFlags = {{"ro", {false, MS_RDONLY}},
                                                     {"rw", {true, MS_RDONLY}},
                                                     {"bind", {false, MS_BIND}},
                                                     {"rbind", {false, MS_BIND | MS_REC}},
                                                     {"nosuid", {false, MS_NOSUID}},
                                                     {"suid", {true, MS_NOSUID}},
                                                     {"nodev", {false, MS_NODEV}},
                                                     {"dev", {true, MS_NODEV}},
                                                     {"noexec", {false, MS_NOEXEC}},
                                                     {"exec", {true, MS_NOEXEC}},
                                                     {"sync", {false, MS_SYNCHRONOUS}},
                                                     {"async", {true, MS_SYNCHRONOUS}},
                                                     {"dirsync", {false, MS_DIRSYNC}},
                                                     {"noatime", {false, MS_NOATIME}},
                                                     {"atime", {true, MS_NOATIME}},
                                                     {"nodiratime", {false, MS_NODIRATIME}},
                                                     {"diratime", {true, MS_NODIRATIME}},
                                                     {"relatime", {false, MS_RELATIME}},
                                                     {"norelatime", {true, MS_RELATIME}},
                                                     {"strictatime", {false, MS_STRICTATIME}},
                                                     {"defaults", {false, 0}}};
  Parsed p;
  for (const auto& o : options) {
    auto it = kFlags.find(o);
    if (it == kFlags.end()) {
      p.data += (p.data.empty() ? "" : ",") + o;
      continue;
    }
    if (it->second.clear)
      p.flags &= ~it->second.bit;
    else
      p.flags |= it->second.bit;
  }
  return p;
}

Result<void> mount_one(const MountSpec& m, const std::string& target) {
  const Parsed p = parse_options(m.options);
  const char* data = p.data.empty() ? nullptr : p.data.c_str();
  if (::mount(m.source.c_str(), target.c_str(), m.type.c_str(), p.flags, data) != 0)
    return Error::sys("mount " + m.type + " \"" + m.source + "\" on \"" + target + "\"");
  if ((p.flags & MS_BIND) != 0 && (p.flags & MS_RDONLY) != 0) {
    if (::mount("", target.c_str(), nullptr, MS_REMOUNT | MS_BIND | p.flags, nullptr) != 0)
      return Error::sys("remount \"" + target + "\" read-only");
  }
  return {};
}

}  // namespace

Result<void> mount_rootfs(const std::vector<MountSpec>& mounts, const std::string& target) {
  for (const auto& m : mounts) {
    if (auto r = mount_one(m, target); !r) {
      // The mount's error is the one to report; a failed undo is logged beside it.
      if (auto undone = unmount_rootfs(target); !undone)
        spdlog::warn("undoing a failed rootfs mount: {}", undone.error().message());
      return r;
    }
  }
  return {};
}

Result<void> unmount_rootfs(const std::string& target) {
  for (int i = 0; i < 64; ++i) {
    if (::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) {
      if (errno == EINVAL || errno == ENOENT)
        return {};  // not a mount point (any more), or no rootfs dir at all
      return Error::sys("unmount \"" + target + "\"");
    }
  }
  return {};
}

}  // namespace keel::shim
