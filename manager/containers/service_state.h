// What the parts of ContainerService share (service, task supervisor, exec, commit): the stores,
// the shim connector, the mutex every record change holds, and the paths of a container's
// pieces. Internal to manager/containers; frontends include container_service.h only.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/containers/container_service.h"
#include "manager/containers/container_store.h"
#include "manager/containers/record.h"
#include "manager/containers/shim_events.h"
#include "manager/containers/task_shim.h"

namespace keel::manager::containers {

[[nodiscard]] inline bool is_live(Status status) {
  return status == Status::kRunning || status == Status::kPaused;
}

[[nodiscard]] Error not_running(const ContainerRecord& record);

// A fifo for a process's stdio, in the container's directory; made once and reused by restarts.
[[nodiscard]] Result<void> make_fifo(const std::string& path);
// Unlinks the fifos of an exec'd process that is gone.
void remove_fifos(const ProcessStdio& stdio);

struct ServiceState {
  ServiceState(const ServiceOptions& o, store::Database& d, images::ImageService& i,
               snapshots::Snapshotter& s, events::EventBus& b, ContainerStore st,
               std::unique_ptr<ShimConnector> c)
      : options(o),
        db(d),
        images(i),
        snapshotter(s),
        bus(b),
        store(std::move(st)),
        shims(std::move(c)) {}

  ServiceOptions options;
  store::Database& db;
  images::ImageService& images;
  snapshots::Snapshotter& snapshotter;
  events::EventBus& bus;
  ContainerStore store;
  std::unique_ptr<ShimConnector> shims;
  // The shims' TaskOOM and TaskExit events (their TTRPC_ADDRESS).
  std::unique_ptr<ShimEvents> shim_events;

  // Guards every record change and the members below; waiters sleep on `changed`.
  std::mutex mutex;
  std::condition_variable changed;
  // Rootfs mounts that keeld holds, by container id.
  std::set<std::string> mounted;
  // The last records of recently removed containers, newest last: a Wait that sees its
  // container auto-removed (--rm) between two looks still returns the exit code.
  std::deque<ContainerRecord> recently_removed;
  static constexpr std::size_t kRemovedKept = 64;

  [[nodiscard]] std::string dir_of(const std::string& id) const {
    return (options.root / "containers" / id).string();
  }
  [[nodiscard]] std::string rootfs_of(const std::string& id) const {
    return dir_of(id) + "/rootfs";
  }
  [[nodiscard]] std::string runtime_root() const { return (options.state / "runtime").string(); }
  // The shim's socket directory, the runtime's root and where its events go: its environment,
  // passed explicitly (keeld is threaded: no setenv).
  [[nodiscard]] std::vector<std::string> shim_env() const;
  [[nodiscard]] const ContainerRecord* find_removed(std::string_view id) const;
  void remember_removed(const ContainerRecord& record);

  void publish(const ContainerRecord& record, const std::string& action,
               std::map<std::string, std::string> extra = {});
  // Writes the record and wakes the waiters.
  [[nodiscard]] Result<void> save(const ContainerRecord& record);

  // The shim of a live container; kFailedPrecondition otherwise.
  [[nodiscard]] Result<std::unique_ptr<TaskShim>> shim_of(const ContainerRecord& record);

  // Mounts the snapshot on <dir>/rootfs unless keeld already holds it. Mutex held.
  [[nodiscard]] Result<void> mount_rootfs(const ContainerRecord& record);
  void unmount_rootfs(const std::string& id);
  [[nodiscard]] static bool is_mountpoint(const std::string& path);
};

}  // namespace keel::manager::containers
