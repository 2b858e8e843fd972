// Option table for parse_mount_options: one entry per word the spec and runc know.
#include "runtime/rootfs/mount_options.h"

#include <sys/mount.h>

#include <array>
#include <string_view>

namespace keel::runtime::rootfs {
namespace {

struct FlagWord {
  std::string_view name;
  bool clear;  // "rw", "suid"...: remove the flag rather than set it
  unsigned long flag;
};

constexpr std::array kFlagWords{
    FlagWord{"defaults", false, 0},
    FlagWord{"ro", false, MS_RDONLY},
    FlagWord{"rw", true, MS_RDONLY},
    FlagWord{"nosuid", false, MS_NOSUID},
    FlagWord{"suid", true, MS_NOSUID},
    FlagWord{"nodev", false, MS_NODEV},
    FlagWord{"dev", true, MS_NODEV},
    FlagWord{"noexec", false, MS_NOEXEC},
    FlagWord{"exec", true, MS_NOEXEC},
    FlagWord{"sync", false, MS_SYNCHRONOUS},
    FlagWord{"async", true, MS_SYNCHRONOUS},
    FlagWord{"dirsync", false, MS_DIRSYNC},
    FlagWord{"remount", false, MS_REMOUNT},
    FlagWord{"mand", false, MS_MANDLOCK},
    FlagWord{"nomand", true, MS_MANDLOCK},
    FlagWord{"atime", true, MS_NOATIME},
    FlagWord{"noatime", false, MS_NOATIME},
    FlagWord{"diratime", true, MS_NODIRATIME},
    FlagWord{"nodiratime", false, MS_NODIRATIME},
    FlagWord{"relatime", false, MS_RELATIME},
    FlagWord{"norelatime", true, MS_RELATIME},
    FlagWord{"strictatime", false, MS_STRICTATIME},
    FlagWord{"nostrictatime", true, MS_STRICTATIME},
    FlagWord{"bind", false, MS_BIND},
    FlagWord{"rbind", false, MS_BIND | MS_REC},
    FlagWord{"lazytime", false, MS_LAZYTIME},
    FlagWord{"nolazytime", true, MS_LAZYTIME},
    FlagWord{"silent", false, MS_SILENT},
    FlagWord{"loud", true, MS_SILENT},
};

struct PropagationWord {
  std::string_view name;
  unsigned long flags;
};

constexpr std::array kPropagationWords{
    PropagationWord{"private", MS_PRIVATE},
    PropagationWord{"rprivate", MS_PRIVATE | MS_REC},
    PropagationWord{"shared", MS_SHARED},
    PropagationWord{"rshared", MS_SHARED | MS_REC},
    PropagationWord{"slave", MS_SLAVE},
    PropagationWord{"rslave", MS_SLAVE | MS_REC},
    PropagationWord{"unbindable", MS_UNBINDABLE},
    PropagationWord{"runbindable", MS_UNBINDABLE | MS_REC},
};

struct AttrWord {
  std::string_view name;
  bool clear;
  std::uint64_t attr;
};

// Recursive variants applied with mount_setattr(AT_RECURSIVE) (Linux 5.12+).
constexpr std::array kAttrWords{
    AttrWord{"rro", false, MOUNT_ATTR_RDONLY},
    AttrWord{"rrw", true, MOUNT_ATTR_RDONLY},
    AttrWord{"rnosuid", false, MOUNT_ATTR_NOSUID},
    AttrWord{"rsuid", true, MOUNT_ATTR_NOSUID},
    AttrWord{"rnodev", false, MOUNT_ATTR_NODEV},
    AttrWord{"rdev", true, MOUNT_ATTR_NODEV},
    AttrWord{"rnoexec", false, MOUNT_ATTR_NOEXEC},
    AttrWord{"rexec", true, MOUNT_ATTR_NOEXEC},
    AttrWord{"rnodiratime", false, MOUNT_ATTR_NODIRATIME},
    AttrWord{"rdiratime", true, MOUNT_ATTR_NODIRATIME},
    AttrWord{"rrelatime", false, MOUNT_ATTR_RELATIME},
    AttrWord{"rnorelatime", true, MOUNT_ATTR_RELATIME},
    AttrWord{"rnoatime", false, MOUNT_ATTR_NOATIME},
    AttrWord{"ratime", true, MOUNT_ATTR_NOATIME},
    AttrWord{"rstrictatime", false, MOUNT_ATTR_STRICTATIME},
    AttrWord{"rnostrictatime", true, MOUNT_ATTR_STRICTATIME},
    AttrWord{"rnosymfollow", false, MOUNT_ATTR_NOSYMFOLLOW},
    AttrWord{"rsymfollow", true, MOUNT_ATTR_NOSYMFOLLOW},
};

}  // namespace

bool MountOptions::is_bind() const noexcept {
  return (flags & MS_BIND) != 0;
}

Result<MountOptions> parse_mount_options(const std::vector<std::string>& options) {
  MountOptions out;
  for (const auto& option : options) {
    bool known = false;
    for (const auto& w : kFlagWords) {
      if (w.name == option) {
        if (w.clear)
          out.flags &= ~w.flag;
        else
          out.flags |= w.flag;
        known = true;
        break;
      }
    }
    for (const auto& w : kPropagationWords) {
      if (!known && w.name == option) {
        out.propagation = w.flags;
        known = true;
      }
    }
    for (const auto& w : kAttrWords) {
      if (!known && w.name == option) {
        if (w.clear) {
          out.attr_clr |= w.attr;
          out.attr_set &= ~w.attr;
        } else {
          out.attr_set |= w.attr;
        }
        known = true;
      }
    }
    if (known)
      continue;
    if (option == "idmap" || option == "ridmap")
      return Error::of(Errc::kInvalidArgument,
                       "mount option \"" + option + "\": idmapped mounts are not supported");
    if (option == "tmpcopyup")
      return Error::of(Errc::kInvalidArgument, "mount option \"tmpcopyup\": not supported");
    if (!out.data.empty())
      out.data += ',';
    out.data += option;
  }
  return out;
}

}  // namespace keel::runtime::rootfs
