// ContainerService's lifecycle: open and shutdown, lookups, start, kill, stop, restart, pause,
// resume, wait, rm, rename, and the stdio and pids of a task. The other verbs live beside it:
// container_create.cpp, container_exec.cpp, container_update.cpp, container_commit.cpp,
// container_stats.cpp, gc_roots.cpp; the running side is TaskSupervisor's.
#include "manager/containers/container_service.h"

#include <signal.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "manager/containers/container_network.h"
#include "manager/containers/container_service_impl.h"
#include "manager/containers/phase_timer.h"
#include "manager/containers/process_table.h"
#include "manager/containers/task_client_shim.h"
#include "manager/snapshots/changes.h"
#include "manager/snapshots/layer_writer.h"

namespace keel::manager::containers {

ContainerService::ContainerService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ContainerService::~ContainerService() {
  shutdown();
}

Result<std::unique_ptr<ContainerService>> ContainerService::open(
    const ServiceOptions& options, store::Database& db, images::ImageService& images,
    snapshots::Snapshotter& snapshotter, events::EventBus& bus) {
  return open(options, db, images, snapshotter, bus, task_client_connector());
}

Result<std::unique_ptr<ContainerService>> ContainerService::open(
    const ServiceOptions& options, store::Database& db, images::ImageService& images,
    snapshots::Snapshotter& snapshotter, events::EventBus& bus,
    std::unique_ptr<ShimConnector> shims) {
  auto store = ContainerStore::open(db);
  if (!store)
    return std::move(store).error();
  for (const auto& dir : {options.root / "containers", options.root / "volumes",
                          options.state / "shims", options.state / "runtime"})
    KEEL_TRY(fs::mkdir_all(dir.string(), 0711));
  auto events = ShimEvents::listen((options.state / "events.sock").string());
  if (!events)
    return std::move(events).error();
  auto impl = std::make_unique<Impl>(options, db, images, snapshotter, bus, std::move(*store),
                                     std::move(shims));
  impl->state.shim_events = std::move(*events);
  auto trash = TrashBin::open((options.root / "trash").string());
  if (!trash)
    return std::move(trash).error();
  impl->state.trash = std::move(*trash);
  KEEL_TRY(impl->supervisor.start_monitor());
  std::unique_ptr<ContainerService> service(new ContainerService(std::move(impl)));
  {
    std::unique_lock lock(service->impl_->state.mutex);
    service->impl_->supervisor.recover(lock);
  }
  return service;
}

void ContainerService::shutdown() {
  if (impl_)
    impl_->supervisor.stop();
}

Result<ContainerRecord> ContainerService::get(std::string_view id_or_name) {
  return impl_->state.store.find(id_or_name);
}

Result<ContainerRecord> ContainerService::inspect(std::string_view id_or_name) {
  auto record = impl_->state.store.find(id_or_name);
  if (record)
    KEEL_TRY(impl_->state.store.load_spec(*record));
  return record;
}

Result<std::vector<ContainerRecord>> ContainerService::list() {
  return impl_->state.store.list();
}

Result<ContainerRecord> ContainerService::start(std::string_view id_or_name) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kRunning)
    return record;
  if (record->state.status == Status::kPaused)
    return Error::of(Errc::kFailedPrecondition,
                     "cannot start a paused container, try unpause instead");
  if (record->state.status == Status::kRemoving || record->state.status == Status::kDead)
    return Error::of(Errc::kFailedPrecondition, "container " + record->id + " is being removed");
  if (auto started = impl_->supervisor.start_task(*record, lock); !started) {
    record->state.error = started.error().message();
    (void)state.save(*record);
    return std::move(started).error();
  }
  return record;
}

Result<void> ContainerService::kill(std::string_view id_or_name, int signal) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  if (!is_live(record->state.status))
    return not_running(*record);
  if (signal == SIGKILL || signal == SIGTERM || signal == SIGINT) {
    record->state.stopped_by_user = true;
    // Deferred, as every write of a removal but the snapshot's (remove_stopped): the rm is not
    // answered before its record is gone, so a power cut that drops this write leaves the
    // container as it was before an rm that never returned.
    KEEL_TRY(state.save(*record, store::Durability::kDeferred));
  }
  {
    Unlocked unlocked(lock);
    auto shim = state.shims->connect(record->shim_address);
    if (!shim)
      return std::move(shim).error();
    KEEL_TRY((*shim)->kill(record->id, signal, false));
  }
  state.publish(*record, "kill", {{"signal", std::to_string(signal)}});
  return {};
}

Result<ContainerRecord> ContainerService::stop(std::string_view id_or_name, int timeout) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kRestarting) {
    record->state.stopped_by_user = true;
    record->state.status = Status::kExited;
    KEEL_TRY(state.save(*record));
    return record;
  }
  if (!is_live(record->state.status))
    return record;  // docker stop of a stopped container succeeds
  const std::string id = record->id;
  record->state.stopped_by_user = true;
  KEEL_TRY(state.save(*record));
  const bool paused = record->state.status == Status::kPaused;
  std::unique_ptr<TaskShim> shim;
  {
    Unlocked unlocked(lock);
    auto connected = state.shims->connect(record->shim_address);
    if (!connected)
      return std::move(connected).error();
    shim = std::move(*connected);
    if (paused)
      (void)shim->resume(id);
    (void)shim->kill(id, record->stop_signal, false);
  }
  state.publish(*record, "kill", {{"signal", std::to_string(record->stop_signal)}});
  const int seconds = timeout >= 0 ? timeout : record->stop_timeout;
  auto exited = [&] {
    auto current = state.store.find(id);
    return !current || !is_live(current->state.status);
  };
  // The exit is recorded under the container's claim: given up while waiting for it.
  op->release();
  if (!state.changed.wait_for(lock, std::chrono::seconds(seconds), exited)) {
    {
      Unlocked unlocked(lock);
      (void)shim->kill(id, SIGKILL, true);
    }
    state.publish(*record, "kill", {{"signal", std::to_string(SIGKILL)}});
    state.changed.wait_for(lock, std::chrono::seconds(30), exited);
  }
  auto current = state.store.find(id);
  if (current)
    state.publish(*current, "stop");
  return current;
}

Result<ContainerRecord> ContainerService::restart(std::string_view id_or_name, int timeout) {
  auto stopped = stop(id_or_name, timeout);
  if (!stopped)
    return std::move(stopped).error();
  auto started = start(stopped->id);
  if (started)
    impl_->state.publish(*started, "restart");
  return started;
}

Result<void> ContainerService::pause(std::string_view id_or_name) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kPaused)
    return Error::of(Errc::kFailedPrecondition, "Container " + record->id + " is already paused");
  if (!is_live(record->state.status))
    return not_running(*record);
  {
    Unlocked unlocked(lock);
    auto shim = state.shims->connect(record->shim_address);
    if (!shim)
      return std::move(shim).error();
    KEEL_TRY((*shim)->pause(record->id));
  }
  record->state.status = Status::kPaused;
  KEEL_TRY(state.save(*record));
  state.publish(*record, "pause");
  return {};
}

Result<void> ContainerService::resume(std::string_view id_or_name) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  if (record->state.status != Status::kPaused)
    return Error::of(Errc::kFailedPrecondition, "Container " + record->id + " is not paused");
  {
    Unlocked unlocked(lock);
    auto shim = state.shims->connect(record->shim_address);
    if (!shim)
      return std::move(shim).error();
    KEEL_TRY((*shim)->resume(record->id));
  }
  record->state.status = Status::kRunning;
  KEEL_TRY(state.save(*record));
  state.publish(*record, "unpause");
  return {};
}

Result<ContainerRecord> ContainerService::wait(std::string_view id_or_name,
                                               const std::function<bool()>& cancelled) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  auto record = state.store.find(id_or_name);
  if (!record) {
    // Exited and auto-removed (--rm) before the wait began: attached runs ask by full id.
    if (const auto* removed = state.find_removed(id_or_name))
      return *removed;
    return std::move(record).error();
  }
  const std::string id = record->id;
  // docker wait returns on the next stop: a restarting container counts as stopped once.
  while (true) {
    auto current = state.store.find(id);
    if (!current) {
      // Removed (--rm): its final record holds the exit, not the last one seen here.
      if (const auto* removed = state.find_removed(id))
        return *removed;
      return record;
    }
    record = std::move(current);
    const Status s = record->state.status;
    // An exit being recorded, then the --rm it triggers, run under the container's claim with
    // the mutex released at times: wait for the outcome, not a step on the way.
    const bool settling = record->auto_remove && state.claimed.contains(id) &&
                          (s == Status::kExited || s == Status::kRemoving);
    if (s != Status::kRunning && s != Status::kPaused && s != Status::kCreated && !settling)
      return record;
    if (s == Status::kCreated && record->state.started_ns == 0 && !cancelled)
      return record;
    if (cancelled && cancelled())
      return Error::of(Errc::kUnavailable, "wait cancelled");
    state.changed.wait_for(lock, std::chrono::milliseconds(200));
  }
}

Result<void> ContainerService::remove(std::string_view id_or_name, bool force, bool volumes) {
  auto& state = impl_->state;
  // Declared first: it ends after the mutex is given back.
  const auto trimming = state.heap_trim.enter();
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  if (is_live(record->state.status)) {
    if (!force)
      return Error::of(Errc::kFailedPrecondition,
                       "You cannot remove a running container " + record->id +
                           ". Stop the container before attempting removal or force remove");
    record->state.stopped_by_user = true;
    // Deferred, as every write of a removal but the snapshot's (remove_stopped): the rm is not
    // answered before its record is gone, so a power cut that drops this write leaves the
    // container as it was before an rm that never returned.
    KEEL_TRY(state.save(*record, store::Durability::kDeferred));
    {
      Unlocked unlocked(lock);
      if (auto shim = state.shims->connect(record->shim_address)) {
        if (record->state.status == Status::kPaused)
          (void)(*shim)->resume(record->id);
        (void)(*shim)->kill(record->id, SIGKILL, true);
      }
    }
    // The exit is recorded under the container's claim: given up while waiting for it.
    op->release();
    state.changed.wait_for(lock, std::chrono::seconds(20), [&] {
      auto current = state.store.find(record->id);
      return !current || !is_live(current->state.status);
    });
    op->claim();
    record = state.store.find(record->id);
    if (!record)
      return {};  // auto-removed meanwhile
    if (is_live(record->state.status))
      return Error::of(Errc::kFailedPrecondition,
                       "container " + record->id + " is still running after SIGKILL");
  }
  return impl_->remove_stopped(*record, volumes, lock);
}

Result<void> ContainerService::Impl::remove_stopped(ContainerRecord& record, bool volumes,
                                                    std::unique_lock<std::mutex>& lock) {
  PhaseTimer timer("remove", record.id);
  // The writes of a removal skip their own fsync (each was one on the connection every other
  // write waits for: four per `rm -f`, the better part of a removal). One is enough: the
  // snapshot's removal below commits synced, and as the WAL is synced as a whole it makes
  // "removing" durable with it, before any file of the container goes; a power cut before it
  // leaves the container whole. What goes after it (the directory, then the record) is resumed
  // by recovery from that "removing" record, which tolerates a snapshot or directory already
  // gone.
  if (record.state.status != Status::kRemoving) {
    record.state.status = Status::kRemoving;
    (void)state.save(record, store::Durability::kDeferred);
    timer.lap("save");
  }
  {
    Unlocked unlocked(lock);
    if (record.attachment) {
      detach_network(state, record);
      // Deferred: a DEL that is lost runs again at the removal recovery resumes (DEL is
      // idempotent); the snapshot's synced removal below makes it durable anyway.
      (void)state.save(record, store::Durability::kDeferred);
    }
    timer.lap("network");
    state.unmount_rootfs(record.id);
    timer.lap("unmount");
    if (auto removed = state.snapshotter.remove(record.snapshot_key); !removed) {
      if (removed.error().kind() != Errc::kNotFound)
        spdlog::warn("container {}: removing its snapshot: {}", record.id,
                     removed.error().message());
      // No synced commit of the snapshot's: "removing" is made durable here instead.
      (void)state.save(record);
    }
    timer.lap("snapshot remove");
    // Out of the way at once; its files go in the background (trash_bin.h).
    if (auto removed = state.trash->discard(state.dir_of(record.id)); !removed)
      spdlog::warn("container {}: {}", record.id, removed.error().message());
    if (volumes)
      for (const auto& dir : record.anonymous_volumes)
        (void)fs::remove_all(dir);
    timer.lap("directory");
  }
  // Deferred: if a power cut drops it, the record comes back "removing" and recovery finishes
  // what is already done; the next synced commit (any create's insert) makes it durable.
  KEEL_TRY(state.store.remove(record.id, store::Durability::kDeferred));
  timer.lap("record delete");
  state.remember_removed(record);
  state.changed.notify_all();
  state.publish(record, "destroy");
  return {};
}

std::vector<std::string> ContainerService::network_users(const network::Network& network) {
  std::vector<std::string> names;
  auto all = impl_->state.store.list();
  if (!all)
    return names;
  for (const auto& record : *all) {
    const bool connected =
        std::any_of(record.connected.begin(), record.connected.end(),
                    [&](const auto& connection) { return connection.network == network.name; });
    const bool on_its_network = record.network_mode == network.name && !record.network_disconnected;
    if (connected || on_its_network ||
        (record.attachment && record.attachment->network_id == network.id))
      names.push_back(record.name);
  }
  return names;
}

Result<ContainerRecord> ContainerService::connect(std::string_view id_or_name,
                                                  const std::string& network,
                                                  const std::vector<std::string>& aliases,
                                                  const std::string& ip) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  KEEL_TRY(connect_network(state, *record, network, aliases, ip));
  return record;
}

Result<ContainerRecord> ContainerService::disconnect(std::string_view id_or_name,
                                                     const std::string& network, bool force) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  KEEL_TRY(disconnect_network(state, *record, network, force));
  return record;
}

Result<ContainerRecord> ContainerService::rename(std::string_view id_or_name,
                                                 std::string_view new_name) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  auto name = validate_name(new_name);
  if (!name)
    return std::move(name).error();
  if (state.reserved_names.contains(*name))
    KEEL_TRY(state.check_name_free(*name));
  const std::string old_name = record->name;
  record->name = *name;
  KEEL_TRY(state.save(*record));
  state.publish(*record, "rename", {{"oldName", "/" + old_name}});
  return record;
}

Result<ProcessStdio> ContainerService::init_stdio(std::string_view id_or_name) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  const std::string dir = impl_->state.dir_of(record->id);
  return ProcessStdio{.stdin_path = record->open_stdin ? dir + "/init-stdin" : "",
                      .stdout_path = dir + "/init-stdout",
                      .stderr_path = record->tty ? "" : dir + "/init-stderr",
                      .terminal = record->tty};
}

Result<void> ContainerService::resize(std::string_view id_or_name, const std::string& exec_id,
                                      std::uint32_t cols, std::uint32_t rows) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto shim = impl_->state.shim_of(*record);
  if (!shim)
    return std::move(shim).error();
  return (*shim)->resize(record->id, exec_id, cols, rows);
}

Result<void> ContainerService::close_stdin(std::string_view id_or_name,
                                           const std::string& exec_id) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto shim = impl_->state.shim_of(*record);
  if (!shim)
    return std::move(shim).error();
  return (*shim)->close_stdin(record->id, exec_id);
}

Result<std::vector<int>> ContainerService::pids(std::string_view id_or_name) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto shim = impl_->state.shim_of(*record);
  if (!shim)
    return std::move(shim).error();
  return (*shim)->pids(record->id);
}

Result<ProcessTable> ContainerService::top(std::string_view id_or_name,
                                           const std::vector<std::string>& ps_args) {
  auto container_pids = pids(id_or_name);
  if (!container_pids)
    return std::move(container_pids).error();
  return ps_table(*container_pids, ps_args);
}

Result<std::vector<Change>> ContainerService::diff(std::string_view id_or_name) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto changes = snapshots::snapshot_changes(impl_->state.snapshotter, record->snapshot_key);
  if (!changes)
    return std::move(changes).error();
  std::vector<Change> out;
  for (const auto& change : *changes)
    out.push_back(Change{snapshots::change_letter(change.kind), change.path});
  return out;
}

Result<std::string> ContainerService::rootfs(std::string_view id_or_name) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  std::unique_lock lock(impl_->state.mutex);
  ContainerOp op(impl_->state, record->id, lock);
  KEEL_TRY(impl_->state.mount_rootfs(*record));
  return impl_->state.rootfs_of(record->id);
}

}  // namespace keel::manager::containers
