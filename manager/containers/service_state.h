// What the parts of ContainerService share (service, task supervisor, exec, commit): the stores,
// the shim connector, the table mutex and the per-container claims (ContainerOp) that order the
// operations on one container, and the paths of a container's pieces. Internal to
// manager/containers; frontends include container_service.h only.
//
// Locking: `mutex` guards the in-memory tables below and every look at a record that decides
// something; it is held for short steps only. An operation that changes a container (start, stop,
// kill, rm, update, an exit being recorded, a restart) first claims it with a ContainerOp, so two
// operations on one container run one after the other, while the slow parts (mounts, CNI, shim
// launch and calls, teardown) run with `mutex` released: operations on different containers
// overlap. Order: claim (waiting releases `mutex`), then `mutex`; never wait for a claim while
// holding anything else.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "common/trash_bin.h"
#include "manager/containers/container_service.h"
#include "manager/containers/container_store.h"
#include "manager/containers/heap_trim.h"
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
  // Removed containers' directories, deleted in the background (<root>/trash).
  std::unique_ptr<TrashBin> trash;

  // Guards the members below (but `mounted`); waiters sleep on `changed`.
  std::mutex mutex;
  std::condition_variable changed;
  // Containers claimed by an operation in flight (ContainerOp).
  std::set<std::string> claimed;
  // Names of containers being created and not yet in the store: create reserves its name here
  // under `mutex`, so two creates (or a rename) cannot take the same name.
  std::set<std::string> reserved_names;
  // Rootfs mounts that keeld holds, by container id; its own mutex, as mounts are made and
  // undone with `mutex` released.
  std::mutex mounted_mutex;
  std::set<std::string> mounted;
  // The last records of recently removed containers, newest last: a Wait that sees its
  // container auto-removed (--rm) between two looks still returns the exit code.
  std::deque<ContainerRecord> recently_removed;
  static constexpr std::size_t kRemovedKept = 64;
  // Removals in flight; the heap is trimmed when the last of a burst ends. Its own mutex.
  HeapTrim heap_trim;

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
  // Writes the record and wakes the waiters. kDeferred (no fsync of its own) only for a state
  // that recovery repairs if a power cut drops it: a running or exited status is checked against
  // the shims at every start, and a removal that was lost shows as an exited --rm container,
  // which recovery removes.
  [[nodiscard]] Result<void> save(const ContainerRecord& record,
                                  store::Durability durability = store::Durability::kSynced);

  // The shim of a live container; kFailedPrecondition otherwise.
  [[nodiscard]] Result<std::unique_ptr<TaskShim>> shim_of(const ContainerRecord& record);

  // Whether a name is taken by a container or reserved by a create in flight. Mutex held.
  [[nodiscard]] bool name_taken(const std::string& name);
  // kAlreadyExists in docker's words when the name is taken. Mutex held.
  [[nodiscard]] Result<void> check_name_free(const std::string& name);

  // Mounts the snapshot on <dir>/rootfs unless keeld already holds it. The container claimed;
  // `mutex` need not be held (better not: the mount is slow).
  [[nodiscard]] Result<void> mount_rootfs(const ContainerRecord& record);
  void unmount_rootfs(const std::string& id);
  [[nodiscard]] static bool is_mountpoint(const std::string& path);
};

// Claims one container for an operation: waits (releasing the mutex) while another operation
// holds it. Constructed and destroyed with `lock` (on state.mutex) held; the destructor takes it
// back if the holder left it released.
class ContainerOp {
 public:
  ContainerOp(ServiceState& state, std::string id, std::unique_lock<std::mutex>& lock);
  ~ContainerOp();
  ContainerOp(const ContainerOp&) = delete;
  ContainerOp& operator=(const ContainerOp&) = delete;
  ContainerOp(ContainerOp&&) = delete;
  ContainerOp& operator=(ContainerOp&&) = delete;

  // Gives the claim up while waiting for something that needs it (an exit to be recorded), and
  // takes it again. Mutex held.
  void release();
  void claim();

 private:
  ServiceState& state_;
  std::string id_;
  std::unique_lock<std::mutex>& lock_;
  bool held_ = false;
};

// Finds the container, claims it into `op` (waiting for an operation on it in flight), and
// reads its record again: the operation waited for may have changed or removed it. Mutex held.
[[nodiscard]] Result<ContainerRecord> find_and_claim(ServiceState& state,
                                                     std::string_view id_or_name,
                                                     std::unique_lock<std::mutex>& lock,
                                                     std::optional<ContainerOp>& op);

// Releases a held lock for a scope (the slow part of an operation) and takes it back after.
class Unlocked {
 public:
  explicit Unlocked(std::unique_lock<std::mutex>& lock) : lock_(lock) { lock_.unlock(); }
  ~Unlocked() { lock_.lock(); }
  Unlocked(const Unlocked&) = delete;
  Unlocked& operator=(const Unlocked&) = delete;
  Unlocked(Unlocked&&) = delete;
  Unlocked& operator=(Unlocked&&) = delete;

 private:
  std::unique_lock<std::mutex>& lock_;
};

}  // namespace keel::manager::containers
