// host_devices: a walk of /dev with lstat, never following symlinks.
#include "manager/containers/host_devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <set>

namespace keel::manager::containers {

Result<std::vector<oci::Device>> host_devices(const std::string& dev_dir) {
  namespace stdfs = std::filesystem;
  static const std::set<std::string> kSkipDirs = {"pts",  "shm",         "mqueue", "fd",
                                                  ".lxc", ".lxd-mounts", ".udev"};
  std::vector<oci::Device> out;
  std::error_code ec;
  stdfs::recursive_directory_iterator it(dev_dir, stdfs::directory_options::skip_permission_denied,
                                         ec);
  if (ec)
    return Error::sys("read \"" + dev_dir + "\"", ec.value());
  for (; it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec)
      return Error::sys("read \"" + dev_dir + "\"", ec.value());
    const stdfs::path& path = it->path();
    const std::string relative = path.lexically_relative(dev_dir).string();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0)
      continue;
    if (S_ISDIR(st.st_mode)) {
      if (kSkipDirs.contains(path.filename().string()))
        it.disable_recursion_pending();
      continue;
    }
    if ((!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) || relative == "console")
      continue;
    oci::Device d;
    d.type = std::string(1, S_ISCHR(st.st_mode) ? 'c' : 'b');
    d.path = (stdfs::path("/dev") / relative).string();
    d.major = major(st.st_rdev);
    d.minor = minor(st.st_rdev);
    d.file_mode = st.st_mode & 07777;
    d.uid = st.st_uid;
    d.gid = st.st_gid;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace keel::manager::containers
