// The state directory: <root>/<id>/ holding state.json, config.json (as created, its
// linux.resources as `update` last left them) and exec.fifo, locked with flock while a command
// works on it, so concurrent commands on one container are safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime {

enum class Status { kCreating, kCreated, kRunning, kPaused, kStopped };
[[nodiscard]] const char* status_name(Status status) noexcept;

// What `create` records for later commands.
struct ContainerRecord {
  std::string id;
  pid_t pid = 0;
  std::uint64_t pid_start_time = 0;  // /proc/<pid>/stat field 22: guards against pid reuse
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339, UTC, nanoseconds
  std::string owner;
  std::map<std::string, std::string> annotations;
  cgroups::Paths cgroup_paths;
  bool has_hooks = false;  // start and delete read config.json only when it has hooks
};

// runc's rule: letters, digits, "_", "+", "-", "."; not "." or "..".
[[nodiscard]] Result<void> validate_container_id(const std::string& id);

class ContainerDir {
 public:
  ContainerDir(std::string path, std::string id, UniqueFd lock)
      : path_(std::move(path)), id_(std::move(id)), lock_(std::move(lock)) {}

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] std::string fifo_path() const { return path_ + "/exec.fifo"; }
  [[nodiscard]] std::string config_path() const { return path_ + "/config.json"; }
  [[nodiscard]] int fd() const noexcept { return lock_.get(); }

  [[nodiscard]] Result<ContainerRecord> load() const;
  [[nodiscard]] Result<void> save(const ContainerRecord& record) const;
  // Status from the process (alive, same start time), the fifo, and the freezer.
  [[nodiscard]] Status status(const ContainerRecord& record) const;
  // Removes the directory; the lock goes with it.
  [[nodiscard]] Result<void> remove();

 private:
  std::string path_;
  std::string id_;
  UniqueFd lock_;  // O_DIRECTORY fd of path_, flock'ed
};

class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}
  [[nodiscard]] const std::string& root() const noexcept { return root_; }
  // mkdir <root>/<id> exclusively; kAlreadyExists if the id is taken. <root>/@seccomp-cache is the
  // runtime's (seccomp_cache.h): its name is no container id, so it is never opened or listed.
  [[nodiscard]] Result<ContainerDir> create(const std::string& id) const;
  // kNotFound: `container "<id>" does not exist`.
  [[nodiscard]] Result<ContainerDir> open(const std::string& id) const;
  [[nodiscard]] Result<std::vector<std::string>> ids() const;

 private:
  std::string root_;
};

// /proc/<pid>/stat start time, or 0 when the process is gone or a zombie.
[[nodiscard]] std::uint64_t process_start_time(pid_t pid);
[[nodiscard]] std::string now_rfc3339();

}  // namespace keel::runtime
