#include "manager/containers/service_state.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fs.h"
#include "manager/snapshots/mount.h"
#include "shimapi/binary.h"

namespace keel::manager::containers {

std::vector<std::string> ServiceState::shim_env() const {
  return {std::string(shimapi::kSocketDirEnv) + "=" + (options.state / "shims").string(),
          std::string(shimapi::kRuntimeRootEnv) + "=" + runtime_root(),
          std::string(shimapi::kTtrpcAddressEnv) + "=" + shim_events->address()};
}

Error not_running(const ContainerRecord& record) {
  return Error::of(Errc::kFailedPrecondition, "Container " + record.id + " is not running");
}

Result<void> make_fifo(const std::string& path) {
  if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST)
    return Error::sys("mkfifo " + path);
  return {};
}

void remove_fifos(const ProcessStdio& stdio) {
  for (const auto* path : {&stdio.stdin_path, &stdio.stdout_path, &stdio.stderr_path})
    if (!path->empty())
      ::unlink(path->c_str());
}

const ContainerRecord* ServiceState::find_removed(std::string_view id) const {
  for (auto it = recently_removed.rbegin(); it != recently_removed.rend(); ++it)
    if (it->id == id)
      return &*it;
  return nullptr;
}

void ServiceState::remember_removed(const ContainerRecord& record) {
  recently_removed.push_back(record);
  if (recently_removed.size() > kRemovedKept)
    recently_removed.pop_front();
}

void ServiceState::publish(const ContainerRecord& record, const std::string& action,
                           std::map<std::string, std::string> extra) {
  events::Event event{.time = {},
                      .type = "container",
                      .action = action,
                      .id = record.id,
                      .attributes = std::move(extra)};
  event.attributes["name"] = record.name;
  event.attributes["image"] = record.image;
  for (const auto& [key, value] : record.labels)
    event.attributes.emplace(key, value);
  bus.publish(std::move(event));
}

Result<void> ServiceState::save(const ContainerRecord& record, store::Durability durability) {
  KEEL_TRY(store.update(record, durability));
  changed.notify_all();
  return {};
}

Result<std::unique_ptr<TaskShim>> ServiceState::shim_of(const ContainerRecord& record) {
  if (!is_live(record.state.status))
    return not_running(record);
  return shims->connect(record.shim_address);
}

bool ServiceState::name_taken(const std::string& name) {
  if (reserved_names.contains(name))
    return true;
  // A failed look counts as free: the insert's unique index has the last word.
  auto taken = store.has_name(name);
  return taken && *taken;
}

Result<void> ServiceState::check_name_free(const std::string& name) {
  std::string holder;
  if (reserved_names.contains(name))
    holder = "a container being created";
  else if (auto taken = store.has_name(name); taken && *taken) {
    auto found = store.find(name);
    holder = found ? "container \"" + found->id + "\"" : "another container";
  } else {
    return {};
  }
  return Error::of(Errc::kAlreadyExists,
                   "Conflict. The container name \"/" + name + "\" is already in use by " + holder +
                       ". You have to remove (or rename) that container to be able to reuse that "
                       "name.");
}

Result<void> ServiceState::mount_rootfs(const ContainerRecord& record) {
  {
    std::lock_guard lock(mounted_mutex);
    if (mounted.contains(record.id))
      return {};
  }
  auto mounts = snapshotter.mounts(record.snapshot_key);
  if (!mounts)
    return std::move(mounts).error();
  // A --rm container's upper goes with it (podman does the same for --rm): no sync at unmount,
  // which would wait for the host filesystem's journal on every run.
  if (record.auto_remove)
    KEEL_TRY(snapshots::make_volatile(*mounts));
  const std::string target = rootfs_of(record.id);
  KEEL_TRY(fs::mkdir_all(target, 0755));
  auto guard = snapshots::mount_all(*mounts, target);
  if (!guard)
    return std::move(guard).error().context("mounting the rootfs of " + record.id);
  guard->release();
  std::lock_guard lock(mounted_mutex);
  mounted.insert(record.id);
  return {};
}

void ServiceState::unmount_rootfs(const std::string& id) {
  const std::string target = rootfs_of(id);
  // Detach, and repeat while something is still mounted there (a restart may stack).
  while (::umount2(target.c_str(), MNT_DETACH) == 0) {
  }
  std::lock_guard lock(mounted_mutex);
  mounted.erase(id);
}

ContainerOp::ContainerOp(ServiceState& state, std::string id, std::unique_lock<std::mutex>& lock)
    : state_(state), id_(std::move(id)), lock_(lock) {
  claim();
}

Result<ContainerRecord> find_and_claim(ServiceState& state, std::string_view id_or_name,
                                       std::unique_lock<std::mutex>& lock,
                                       std::optional<ContainerOp>& op) {
  auto found = state.store.find(id_or_name);
  if (!found)
    return std::move(found).error();
  op.emplace(state, found->id, lock);
  return state.store.find(found->id);
}

ContainerOp::~ContainerOp() {
  if (!held_)
    return;
  if (lock_.owns_lock()) {
    release();
    return;
  }
  lock_.lock();
  release();
  lock_.unlock();
}

void ContainerOp::claim() {
  state_.changed.wait(lock_, [&] { return !state_.claimed.contains(id_); });
  state_.claimed.insert(id_);
  held_ = true;
}

void ContainerOp::release() {
  state_.claimed.erase(id_);
  held_ = false;
  // Waiters for other containers wake up too and look again: claims are short and few.
  state_.changed.notify_all();
}

bool ServiceState::is_mountpoint(const std::string& path) {
  struct stat self {};
  struct stat parent {};
  if (::stat(path.c_str(), &self) != 0 || ::stat((path + "/..").c_str(), &parent) != 0)
    return false;
  return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
}

}  // namespace keel::manager::containers
