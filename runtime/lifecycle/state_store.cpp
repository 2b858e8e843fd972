// StateStore and ContainerDir: state.json in and out, flock, and status.
#include "runtime/lifecycle/state_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace keel::runtime {
namespace {

using nlohmann::json;

Result<UniqueFd> lock_dir(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return Error::sys("open \"" + path + "\"");
  UniqueFd dir(fd);
  if (::flock(dir.get(), LOCK_EX) != 0)
    return Error::sys("lock \"" + path + "\"");
  return dir;
}

}  // namespace

const char* status_name(Status status) noexcept {
  switch (status) {
    case Status::kCreating:
      return "creating";
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kPaused:
      return "paused";
    case Status::kStopped:
      return "stopped";
  }
  return "unknown";
}

Result<void> validate_container_id(const std::string& id) {
  if (id.empty())
    return Error::of(Errc::kInvalidArgument, "container id must not be empty");
  bool ok = id != "." && id != ".." && id.size() <= 1024;
  for (char c : id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' || c == '.';
    ok = ok && allowed;
  }
  if (!ok)
    return Error::of(
        Errc::kInvalidArgument,
        "invalid container id \"" + id + "\": use letters, digits, '_', '+', '-' and '.' only");
  return {};
}

std::uint64_t process_start_time(pid_t pid) {
  auto stat = fs::read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat)
    return 0;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  const auto close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size())
    return 0;
  const char state = (*stat)[close + 2];
  if (state == 'Z' || state == 'X')
    return 0;
  // Field 3 is the state; the start time is field 22, 19 fields further.
  size_t pos = close + 2;
  for (int field = 3; field < 22 && pos != std::string::npos; ++field)
    pos = stat->find(' ', pos + 1);
  if (pos == std::string::npos)
    return 0;
  return std::strtoull(stat->c_str() + pos + 1, nullptr, 10);
}

std::string now_rfc3339() {
  struct timespec ts {};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  ::gmtime_r(&ts.tv_sec, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%09ldZ", ts.tv_nsec);
  return buf;
}

Result<ContainerRecord> ContainerDir::load() const {
  auto text = fs::read_file(path_ + "/state.json");
  if (!text) {
    if (text.error().kind() == Errc::kNotFound)
      return Error::of(Errc::kFailedPrecondition,
                       "container \"" + id_ + "\" is still being created");
    return text.error();
  }
  try {
    const json j = json::parse(*text);
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.pid = j.at("pid").get<pid_t>();
    r.pid_start_time = j.at("pidStartTime").get<std::uint64_t>();
    r.bundle = j.at("bundle").get<std::string>();
    r.rootfs = j.at("rootfs").get<std::string>();
    r.created = j.at("created").get<std::string>();
    r.owner = j.value("owner", "");
    r.annotations = j.value("annotations", std::map<std::string, std::string>{});
    auto paths = cgroups::parse_paths(j.at("cgroupPaths").dump());
    if (!paths)
      return paths.error();
    r.cgroup_paths = *paths;
    r.has_hooks = j.value("hasHooks", false);
    return r;
  } catch (const json::exception& e) {
    return Error::of(Errc::kInternal, "state of \"" + id_ + "\" is corrupt: " + e.what());
  }
}

Result<void> ContainerDir::save(const ContainerRecord& r) const {
  json j;
  j["id"] = r.id;
  j["pid"] = r.pid;
  j["pidStartTime"] = r.pid_start_time;
  j["bundle"] = r.bundle;
  j["rootfs"] = r.rootfs;
  j["created"] = r.created;
  j["owner"] = r.owner;
  if (!r.annotations.empty())
    j["annotations"] = r.annotations;
  j["cgroupPaths"] = json::parse(cgroups::to_json(r.cgroup_paths));
  j["hasHooks"] = r.has_hooks;
  return fs::write_file_atomic(path_ + "/state.json", j.dump());
}

Status ContainerDir::status(const ContainerRecord& record) const {
  if (record.pid <= 0 || process_start_time(record.pid) != record.pid_start_time)
    return Status::kStopped;
  if (fs::exists(fifo_path()))
    return Status::kCreated;
  if (auto manager = cgroups::open_manager(record.cgroup_paths); manager) {
    if (auto frozen = (*manager)->is_frozen(); frozen && *frozen)
      return Status::kPaused;
  }
  return Status::kRunning;
}

Result<void> ContainerDir::remove() {
  auto r = fs::remove_all(path_);
  lock_.reset();
  return r;
}

Result<ContainerDir> StateStore::create(const std::string& id) const {
  KEEL_TRY(validate_container_id(id));
  if (::mkdir(root_.c_str(), 0700) != 0 && errno != EEXIST) {
    if (auto r = fs::mkdir_all(root_, 0700); !r)
      return std::move(r).error().context("state root");
  }
  const std::string path = root_ + "/" + id;
  if (::mkdir(path.c_str(), 0700) != 0) {
    if (errno == EEXIST)
      return Error::of(Errc::kAlreadyExists, "container \"" + id + "\" already exists");
    return Error::sys("mkdir \"" + path + "\"");
  }
  auto lock = lock_dir(path);
  if (!lock) {
    ::rmdir(path.c_str());
    return lock.error();
  }
  return ContainerDir(path, id, std::move(*lock));
}

Result<ContainerDir> StateStore::open(const std::string& id) const {
  KEEL_TRY(validate_container_id(id));
  const std::string path = root_ + "/" + id;
  auto lock = lock_dir(path);
  if (!lock) {
    if (lock.error().kind() == Errc::kNotFound)
      return Error::of(Errc::kNotFound, "container \"" + id + "\" does not exist");
    return lock.error();
  }
  // A concurrent delete may have removed it while we waited for the lock.
  struct stat st {};
  if (::fstat(lock->get(), &st) != 0 || st.st_nlink == 0)
    return Error::of(Errc::kNotFound, "container \"" + id + "\" does not exist");
  return ContainerDir(path, id, std::move(*lock));
}

Result<std::vector<std::string>> StateStore::ids() const {
  std::vector<std::string> out;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(root_.c_str()), ::closedir);
  if (dir == nullptr) {
    if (errno == ENOENT)
      return out;
    return Error::sys("open state root \"" + root_ + "\"");
  }
  // Only names that are container ids: the seccomp cache (and anything else the runtime keeps
  // here) is named outside that alphabet.
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string name = entry->d_name;
    if (entry->d_type == DT_DIR && validate_container_id(name))
      out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace keel::runtime
