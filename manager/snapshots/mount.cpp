// Performs snapshot mounts with the new mount API (fsopen/fsconfig/fsmount/move_mount, and
// open_tree for binds): per-parameter configuration, and the kernel's own error text from the
// fs context instead of a bare EINVAL.
#include "manager/snapshots/mount.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::manager::snapshots {
namespace {

// Messages the kernel queued on an fs context ("e overlay: failed to ..."), one line.
std::string context_log(int fs_fd) {
  std::string out;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(fs_fd, buf, sizeof buf);
    if (n <= 0)
      break;
    if (!out.empty())
      out += "; ";
    std::string_view line(buf, static_cast<std::size_t>(n));
    while (!line.empty() && line.back() == '\n')
      line.remove_suffix(1);
    out += line;
  }
  return out;
}

Error fs_error(int fs_fd, std::string what) {
  const int errnum = errno;
  const std::string log = context_log(fs_fd);
  if (!log.empty())
    what += " (" + log + ")";
  return Error::sys(std::move(what), errnum);
}

bool has_option(const Mount& m, std::string_view option) {
  for (const auto& o : m.options) {
    if (o == option)
      return true;
  }
  return false;
}

Result<void> attach(int mount_fd, const std::string& target) {
  if (::move_mount(mount_fd, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return Error::sys("move mount onto \"" + target + "\"");
  return {};
}

Result<void> mount_overlay(const Mount& m, const std::string& target) {
  UniqueFd fs(::fsopen("overlay", FSOPEN_CLOEXEC));
  if (!fs.valid())
    return Error::sys("fsopen overlay");
  unsigned attrs = 0;
  for (const auto& option : m.options) {
    const auto eq = option.find('=');
    if (eq == std::string::npos) {
      if (option == "ro") {
        attrs |= MOUNT_ATTR_RDONLY;
        continue;
      }
      if (option == "rw")
        continue;
      if (::fsconfig(fs.get(), FSCONFIG_SET_FLAG, option.c_str(), nullptr, 0) != 0)
        return fs_error(fs.get(), "overlay option \"" + option + "\"");
      continue;
    }
    const std::string key = option.substr(0, eq);
    const std::string value = option.substr(eq + 1);
    if (key != "lowerdir") {
      if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0) != 0)
        return fs_error(fs.get(), "overlay option \"" + key + "\"");
      continue;
    }
    // One call per layer, topmost first, as in the ':'-joined form.
    std::size_t pos = 0;
    while (pos <= value.size()) {
      std::size_t end = value.find(':', pos);
      if (end == std::string::npos)
        end = value.size();
      const std::string lower = value.substr(pos, end - pos);
      pos = end + 1;
      if (::fsconfig(fs.get(), FSCONFIG_SET_STRING, "lowerdir+", lower.c_str(), 0) != 0)
        return fs_error(fs.get(), "overlay lower \"" + lower + "\"");
    }
  }
  if (::fsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0)
    return fs_error(fs.get(), "create overlay");
  UniqueFd mnt(::fsmount(fs.get(), FSMOUNT_CLOEXEC, attrs));
  if (!mnt.valid())
    return fs_error(fs.get(), "fsmount overlay");
  return attach(mnt.get(), target);
}

Result<void> mount_bind(const Mount& m, const std::string& target) {
  const bool recursive = has_option(m, "rbind");
  UniqueFd tree(::open_tree(AT_FDCWD, m.source.c_str(),
                            OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0)));
  if (!tree.valid())
    return Error::sys("clone mount of \"" + m.source + "\"");
  if (has_option(m, "ro")) {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::mount_setattr(tree.get(), "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                        sizeof attr) != 0)
      return Error::sys("make bind of \"" + m.source + "\" read-only");
  }
  return attach(tree.get(), target);
}

}  // namespace

MountGuard& MountGuard::operator=(MountGuard&& other) noexcept {
  if (this != &other) {
    reset();
    target_ = std::exchange(other.target_, {});
  }
  return *this;
}

void MountGuard::reset() noexcept {
  if (target_.empty())
    return;
  // MNT_DETACH: a process still holding a file open below must not make cleanup fail.
  if (::umount2(target_.c_str(), MNT_DETACH) != 0)
    spdlog::warn("unmount \"{}\": {}", target_, ::strerrordesc_np(errno));
  target_.clear();
}

Result<MountGuard> mount_all(const std::vector<Mount>& mounts, const std::string& target) {
  if (mounts.size() != 1)
    return Error::of(Errc::kInvalidArgument,
                     "expected one mount, got " + std::to_string(mounts.size()));
  const Mount& m = mounts.front();
  Result<void> r = m.type == "overlay" ? mount_overlay(m, target)
                   : m.type == "bind"
                       ? mount_bind(m, target)
                       : Result<void>(Error::of(Errc::kInvalidArgument,
                                                "unknown mount type \"" + m.type + "\""));
  if (!r)
    return std::move(r).error().context("mount " + m.type + " on \"" + target + "\"");
  return MountGuard(target);
}

Result<void> make_volatile(std::vector<Mount>& mounts) {
  constexpr std::string_view kWorkdir = "workdir=";
  for (auto& m : mounts) {
    if (m.type != "overlay" || has_option(m, "volatile"))
      continue;
    for (const auto& option : m.options) {
      if (!option.starts_with(kWorkdir))
        continue;
      // overlay works in <workdir>/work; a volatile mount marks it with incompat/volatile.
      const std::string marker = option.substr(kWorkdir.size()) + "/work/incompat";
      KEEL_TRY(fs::remove_all(marker));
      m.options.emplace_back("volatile");
      break;
    }
  }
  return {};
}

}  // namespace keel::manager::snapshots
