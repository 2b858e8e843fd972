// Device nodes and /dev symlinks, each created relative to a confined parent fd.
#include "runtime/rootfs/devices.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <array>
#include <string>

#include "common/secure_path.h"
#include "common/unique_fd.h"

namespace keel::runtime::rootfs {
namespace {

struct DefaultDevice {
  const char* path;
  unsigned major;
  unsigned minor;
};

constexpr std::array kDefaultDevices{
    DefaultDevice{"/dev/null", 1, 3},    DefaultDevice{"/dev/zero", 1, 5},
    DefaultDevice{"/dev/full", 1, 7},    DefaultDevice{"/dev/random", 1, 8},
    DefaultDevice{"/dev/urandom", 1, 9}, DefaultDevice{"/dev/tty", 5, 0},
};

struct Link {
  const char* target;
  const char* path;
};

constexpr std::array kLinks{
    Link{"/proc/self/fd", "/dev/fd"},       Link{"/proc/self/fd/0", "/dev/stdin"},
    Link{"/proc/self/fd/1", "/dev/stdout"}, Link{"/proc/self/fd/2", "/dev/stderr"},
    Link{"pts/ptmx", "/dev/ptmx"},
};

std::pair<std::string, std::string> split_parent(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

mode_t type_bits(const std::string& type) {
  if (type == "b")
    return S_IFBLK;
  if (type == "p")
    return S_IFIFO;
  return S_IFCHR;  // "c" and "u"
}

Result<void> make_device(int root_fd, const std::string& path, mode_t type, unsigned major,
                         unsigned minor, mode_t perm, uid_t uid, gid_t gid, bool in_user_ns) {
  if (in_user_ns && type != S_IFIFO) {
    // mknod is refused in a user namespace: bind the host's node onto an empty file.
    auto dest = ensure_in_root(root_fd, path, true);
    if (!dest)
      return dest.error();
    if (::mount(path.c_str(), fd_path(dest->get()).c_str(), nullptr, MS_BIND, nullptr) != 0)
      return Error::sys("bind device \"" + path + "\"");
    return {};
  }
  auto [parent, name] = split_parent(path);
  auto dir = ensure_in_root(root_fd, parent, false);
  if (!dir)
    return dir.error();
  // An existing entry is replaced: the rootfs may ship a stale node.
  // ENOENT is the usual answer; anything worse shows in mknodat right below.
  (void)::unlinkat(dir->get(), name.c_str(), 0);
  if (::mknodat(dir->get(), name.c_str(), type | perm, ::makedev(major, minor)) != 0)
    return Error::sys("mknod \"" + path + "\"");
  if (::fchownat(dir->get(), name.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
    return Error::sys("chown \"" + path + "\"");
  // mknod applied the umask; the config's mode is what the container must see.
  if (::fchmodat(dir->get(), name.c_str(), perm, 0) != 0)
    return Error::sys("chmod \"" + path + "\"");
  return {};
}

}  // namespace

Result<void> create_devices(int root_fd, const oci::RuntimeConfig& config, bool in_user_ns) {
  for (const auto& d : kDefaultDevices) {
    if (auto r = make_device(root_fd, d.path, S_IFCHR, d.major, d.minor, 0666, 0, 0, in_user_ns);
        !r)
      return std::move(r).error().context("default device");
  }
  if (config.linux) {
    for (const auto& d : config.linux->devices) {
      const mode_t perm = d.file_mode.value_or(0666) & 07777;
      if (auto r = make_device(root_fd, d.path, type_bits(d.type), static_cast<unsigned>(d.major),
                               static_cast<unsigned>(d.minor), perm, d.uid.value_or(0),
                               d.gid.value_or(0), in_user_ns);
          !r)
        return std::move(r).error().context("linux.devices");
    }
  }
  for (const auto& l : kLinks) {
    auto [parent, name] = split_parent(l.path);
    auto dir = ensure_in_root(root_fd, parent, false);
    if (!dir)
      return dir.error();
    if (::symlinkat(l.target, dir->get(), name.c_str()) != 0 && errno != EEXIST)
      return Error::sys(std::string("symlink \"") + l.path + "\"");
  }
  return {};
}

}  // namespace keel::runtime::rootfs
