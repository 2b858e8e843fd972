#include "manager/server/private_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/fs.h"

namespace keel::manager::server {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '7') {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
      continue;
    }
    out += field[i];
  }
  return out;
}

// The mount points of this namespace, from /proc/self/mountinfo (the fifth field of each line).
std::vector<std::string> mount_points() {
  std::vector<std::string> points;
  auto text = fs::read_file("/proc/self/mountinfo");
  if (!text)
    return points;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string field;
    for (int i = 0; i < 5 && fields >> field; ++i) {
    }
    if (fields)
      points.push_back(unescape(field));
  }
  return points;
}

bool is_mount_point(const std::string& dir) {
  for (const auto& point : mount_points())
    if (point == dir)
      return true;
  return false;
}

// A mount point on the very filesystem of its parent directory: a bind of one of its own
// directories, as make() leaves it, not a filesystem of its own mounted there by the host.
bool is_bind_of_itself(const std::string& dir) {
  struct stat self {};
  struct stat parent {};
  return ::stat(dir.c_str(), &self) == 0 && ::stat((dir + "/..").c_str(), &parent) == 0 &&
         self.st_dev == parent.st_dev;
}

}  // namespace

bool PrivateMount::has_mounts_below(const std::string& dir) {
  const std::string prefix = dir + "/";
  for (const auto& point : mount_points())
    if (point.starts_with(prefix))
      return true;
  return false;
}

Result<PrivateMount> PrivateMount::make(const std::string& dir) {
  PrivateMount made;
  if (is_mount_point(dir)) {
    // Left by an earlier keeld whose containers kept running: ours to undo once they are gone.
    if (is_bind_of_itself(dir))
      made = PrivateMount(dir);
  } else if (has_mounts_below(dir)) {
    // Mounts of a keeld that did not bind (an upgrade with containers running): a bind over
    // them would hide the originals, which would come back when it goes. Left as it is until
    // a start finds nothing mounted.
    spdlog::info("{}: has mounts below it; made private once they are gone", dir);
    return made;
  } else {
    if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return Error::sys("bind-mounting " + dir + " on itself");
    made = PrivateMount(dir);
  }
  if (::mount(nullptr, dir.c_str(), nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
    return Error::sys("making " + dir + " a private mount");
  return made;
}

PrivateMount::PrivateMount(PrivateMount&& other) noexcept : dir_(std::exchange(other.dir_, {})) {}

PrivateMount& PrivateMount::operator=(PrivateMount&& other) noexcept {
  if (this != &other) {
    reset();
    dir_ = std::exchange(other.dir_, {});
  }
  return *this;
}

PrivateMount::~PrivateMount() {
  reset();
}

void PrivateMount::reset() noexcept {
  if (dir_.empty())
    return;
  if (!has_mounts_below(dir_) && ::umount2(dir_.c_str(), MNT_DETACH) != 0)
    spdlog::warn("unmount {}: {}", dir_, ::strerrordesc_np(errno));
  dir_.clear();
}

}  // namespace keel::manager::server
