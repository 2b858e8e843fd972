#include "manager/containers/container_service.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <set>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/fs.h"
#include "manager/containers/capabilities.h"
#include "manager/containers/host_cpu.h"
#include "manager/containers/image_config.h"
#include "manager/containers/shim_events.h"
#include "manager/containers/spec_builder.h"
#include "manager/containers/task_client.h"
#include "manager/containers/user_lookup.h"
#include "manager/snapshots/layer_writer.h"
#include "manager/snapshots/mount.h"
#include "oci-spec/runtime_config.h"
#include "shimapi/metrics.h"

namespace keel::manager::containers {
namespace {

bool is_live(Status status) {
  return status == Status::kRunning || status == Status::kPaused;
}

Error not_running(const ContainerRecord& record) {
  return Error::of(Errc::kFailedPrecondition, "Container " + record.id + " is not running");
}

// The fifos of a process, in the container's directory; made once and reused by restarts.
Result<void> make_fifo(const std::string& path) {
  if (::mkfifo(path.c_str(), 0600) != 0 && errno != EEXIST)
    return Error::sys("mkfifo " + path);
  return {};
}

std::string random_hex(std::size_t n) {
  return new_container_id().substr(0, n);
}

}  // namespace

struct ContainerService::Impl {
  ServiceOptions options;
  store::Database& db;
  images::ImageService& images;
  snapshots::Snapshotter& snapshotter;
  events::EventBus& bus;
  ContainerStore store;

  // Guards every record change and the maps below; waiters sleep on `changed`.
  std::mutex mutex;
  std::condition_variable changed;
  // The clients blocked in Wait for each running container (to interrupt them at shutdown).
  std::map<std::string, std::shared_ptr<TaskClient>> watchers;
  int watcher_threads = 0;
  bool stopping = false;
  // The shims' TaskOOM and TaskExit events (their TTRPC_ADDRESS).
  std::unique_ptr<ShimEvents> shim_events;
  // Rootfs mounts that keeld holds, by container id.
  std::set<std::string> mounted;
  // The last records of recently removed containers, newest last: a Wait that sees its
  // container auto-removed (--rm) between two looks still returns the exit code.
  std::deque<ContainerRecord> recently_removed;
  static constexpr std::size_t kRemovedKept = 64;

  Impl(const ServiceOptions& o, store::Database& d, images::ImageService& i,
       snapshots::Snapshotter& s, events::EventBus& b, ContainerStore st)
      : options(o), db(d), images(i), snapshotter(s), bus(b), store(std::move(st)) {}

  [[nodiscard]] std::string dir_of(const std::string& id) const {
    return (options.root / "containers" / id).string();
  }
  [[nodiscard]] std::string rootfs_of(const std::string& id) const {
    return dir_of(id) + "/rootfs";
  }
  [[nodiscard]] const ContainerRecord* find_removed(std::string_view id) const {
    for (auto it = recently_removed.rbegin(); it != recently_removed.rend(); ++it)
      if (it->id == id)
        return &*it;
    return nullptr;
  }

  [[nodiscard]] std::string runtime_root() const { return (options.state / "runtime").string(); }
  // The shim's socket directory, the runtime's root and where its events go, in its environment.
  [[nodiscard]] std::vector<std::string> shim_env() const {
    return {std::string(shimapi::kSocketDirEnv) + "=" + (options.state / "shims").string(),
            std::string(shimapi::kRuntimeRootEnv) + "=" + runtime_root(),
            std::string(shimapi::kTtrpcAddressEnv) + "=" + shim_events->address()};
  }

  void publish(const ContainerRecord& record, const std::string& action,
               std::map<std::string, std::string> extra = {}) {
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

  Result<void> save(const ContainerRecord& record) {
    KEEL_TRY(store.update(record));
    changed.notify_all();
    return {};
  }

  Result<void> mount_rootfs(const ContainerRecord& record) {
    if (mounted.contains(record.id))
      return {};
    auto mounts = snapshotter.mounts(record.snapshot_key);
    if (!mounts)
      return std::move(mounts).error();
    const std::string target = rootfs_of(record.id);
    KEEL_TRY(fs::mkdir_all(target, 0755));
    auto guard = snapshots::mount_all(*mounts, target);
    if (!guard)
      return std::move(guard).error().context("mounting the rootfs of " + record.id);
    guard->release();
    mounted.insert(record.id);
    return {};
  }

  void unmount_rootfs(const std::string& id) {
    const std::string target = rootfs_of(id);
    // Detach, and repeat while something is still mounted there (a restart may stack).
    while (::umount2(target.c_str(), MNT_DETACH) == 0) {
    }
    mounted.erase(id);
  }

  // Launches the shim, creates and starts the init. Called with the mutex held.
  Result<void> start_task(ContainerRecord& record) {
    KEEL_TRY(mount_rootfs(record));
    auto address = TaskClient::launch(ShimLaunch{.shim_binary = options.shim.string(),
                                                 .ns = options.ns,
                                                 .id = record.id,
                                                 .bundle = dir_of(record.id),
                                                 .address = options.address,
                                                 .env = shim_env()});
    if (!address)
      return std::move(address).error();
    record.shim_address = *address;
    auto client = TaskClient::connect(*address);
    if (!client)
      return std::move(client).error();
    const std::string dir = dir_of(record.id);
    TaskStdio stdio{.stdin_path = record.open_stdin ? dir + "/init-stdin" : "",
                    .stdout_path = dir + "/init-stdout",
                    .stderr_path = record.tty ? "" : dir + "/init-stderr",
                    .terminal = record.tty};
    auto pid = client->create(record.id, dir, stdio, options.runtime.string(), runtime_root());
    if (!pid) {
      (void)client->shutdown(record.id);
      return std::move(pid).error();
    }
    auto started = client->start(record.id);
    if (!started) {
      (void)client->remove(record.id);
      (void)client->shutdown(record.id);
      return std::move(started).error();
    }
    record.state.status = Status::kRunning;
    record.state.pid = *started;
    record.state.started_ns = unix_now_ns();
    record.state.exit_code = 0;
    record.state.oom_killed = false;
    record.state.error.clear();
    record.state.stopped_by_user = false;
    KEEL_TRY(save(record));
    publish(record, "start");
    watch(record.id, record.shim_address);
    return {};
  }

  // A thread per running container blocks in the shim's Wait and records the exit.
  void watch(const std::string& id, const std::string& address) {
    auto client = TaskClient::connect(address);
    if (!client) {
      spdlog::warn("container {}: cannot watch its shim: {}", id, client.error().message());
      return;
    }
    auto shared = std::make_shared<TaskClient>(std::move(*client));
    watchers[id] = shared;
    ++watcher_threads;
    std::thread([this, id, shared] {
      auto exit = shared->wait(id);
      // The shim's TaskExit follows any TaskOOM of this run: with it in, finish_task knows.
      if (exit && !shim_events->await_exit(id, std::chrono::seconds(2)))
        spdlog::warn("container {}: no exit event from its shim; an OOM kill may go unseen", id);
      std::unique_lock lock(mutex);
      if (watchers[id] == shared)
        watchers.erase(id);
      if (!stopping)
        on_exit(id, exit, lock);
      --watcher_threads;
      changed.notify_all();
    }).detach();
  }

  // Records an exit, cleans the task up and applies the restart policy.
  void on_exit(const std::string& id, const Result<TaskExit>& exit,
               std::unique_lock<std::mutex>& lock) {
    auto record = store.find(id);
    if (!record)
      return;  // removed meanwhile
    int code = 255;
    std::int64_t exited_at = unix_now_ns();
    if (exit) {
      code = exit->exit_status;
      if (exit->exited_at_ns > 0)
        exited_at = exit->exited_at_ns;
    } else {
      record->state.error = "shim: " + exit.error().message();
    }
    finish_task(*record, code, exited_at);
    if (should_restart(*record)) {
      schedule_restart(*record, lock);
      return;
    }
    if (record->auto_remove)
      (void)remove_locked(*record, true, true, lock);
  }

  // Takes the OOM kill its shim reported, then deletes the task and the shim.
  void finish_task(ContainerRecord& record, int code, std::int64_t exited_at) {
    record.state.oom_killed = shim_events->take_oom(record.id);
    if (auto client = TaskClient::connect(record.shim_address)) {
      (void)client->remove(record.id);
      (void)client->shutdown(record.id);
    }
    record.state.status = Status::kExited;
    record.state.exit_code = code;
    record.state.finished_ns = exited_at;
    record.state.pid = 0;
    if (auto saved = save(record); !saved)
      spdlog::warn("container {}: {}", record.id, saved.error().message());
    if (record.state.oom_killed)
      publish(record, "oom");
    publish(record, "die", {{"exitCode", std::to_string(code)}});
  }

  [[nodiscard]] static bool should_restart(const ContainerRecord& record) {
    const auto& policy = record.restart;
    if (record.state.stopped_by_user)
      return false;
    if (policy.name == "always" || policy.name == "unless-stopped")
      return true;
    if (policy.name == "on-failure")
      return record.state.exit_code != 0 &&
             (policy.max_retries == 0 || record.state.restart_count < policy.max_retries);
    return false;
  }

  // docker's back-off: 100 ms doubling per restart, at most a minute.
  void schedule_restart(ContainerRecord& record, std::unique_lock<std::mutex>& lock) {
    record.state.status = Status::kRestarting;
    (void)save(record);
    const int exponent = std::min(record.state.restart_count, 10);
    const auto delay = std::min(std::chrono::milliseconds(100) * (1 << exponent),
                                std::chrono::milliseconds(60'000));
    const std::string id = record.id;
    ++watcher_threads;
    (void)lock;
    std::thread([this, id, delay] {
      std::unique_lock relock(mutex);
      changed.wait_for(relock, delay, [&] { return stopping; });
      if (!stopping) {
        auto current = store.find(id);
        if (current && current->state.status == Status::kRestarting) {
          ++current->state.restart_count;
          if (auto started = start_task(*current); !started) {
            current->state.status = Status::kExited;
            current->state.error = started.error().message();
            (void)save(*current);
          }
        }
      }
      --watcher_threads;
      changed.notify_all();
    }).detach();
  }

  Result<void> remove_locked(ContainerRecord& record, bool force, bool volumes,
                             std::unique_lock<std::mutex>& lock) {
    if (is_live(record.state.status)) {
      if (!force)
        return Error::of(Errc::kFailedPrecondition,
                         "You cannot remove a running container " + record.id +
                             ". Stop the container before attempting removal or force remove");
      record.state.stopped_by_user = true;
      KEEL_TRY(save(record));
      if (auto client = TaskClient::connect(record.shim_address)) {
        if (record.state.status == Status::kPaused)
          (void)client->resume(record.id);
        (void)client->kill(record.id, SIGKILL, true);
      }
      changed.wait_for(lock, std::chrono::seconds(20), [&] {
        auto current = store.find(record.id);
        return !current || !is_live(current->state.status);
      });
      auto current = store.find(record.id);
      if (!current)
        return {};  // auto-removed meanwhile
      record = std::move(*current);
    }
    record.state.status = Status::kRemoving;
    (void)save(record);
    unmount_rootfs(record.id);
    if (auto removed = snapshotter.remove(record.snapshot_key);
        !removed && removed.error().kind() != Errc::kNotFound)
      spdlog::warn("container {}: removing its snapshot: {}", record.id, removed.error().message());
    if (auto removed = fs::remove_all(dir_of(record.id)); !removed)
      spdlog::warn("container {}: {}", record.id, removed.error().message());
    if (volumes)
      for (const auto& dir : record.anonymous_volumes)
        (void)fs::remove_all(dir);
    KEEL_TRY(store.remove(record.id));
    recently_removed.push_back(record);
    if (recently_removed.size() > kRemovedKept)
      recently_removed.pop_front();
    changed.notify_all();
    publish(record, "destroy");
    return {};
  }

  // After a keeld restart: watch the shims of running containers again, record exits that
  // happened while keeld was away.
  void recover() {
    auto all = store.list();
    if (!all) {
      spdlog::error("recovering containers: {}", all.error().message());
      return;
    }
    std::unique_lock lock(mutex);
    for (auto& record : *all) {
      if (std::filesystem::exists(rootfs_of(record.id)) && is_mountpoint(rootfs_of(record.id)))
        mounted.insert(record.id);
      if (record.state.status == Status::kRestarting) {
        schedule_restart(record, lock);
        continue;
      }
      if (record.state.status == Status::kRemoving) {
        (void)remove_locked(record, true, false, lock);
        continue;
      }
      if (!is_live(record.state.status))
        continue;
      auto client = TaskClient::connect(record.shim_address);
      if (!client) {
        // The shim is gone with whatever it knew: the exit code is lost.
        record.state.error = "the shim exited while keeld was down";
        finish_task(record, 255, unix_now_ns());
        continue;
      }
      auto state = client->state(record.id);
      if (state && state->status == "stopped") {
        finish_task(record, state->exit_status, state->exited_at_ns);
        if (should_restart(record))
          schedule_restart(record, lock);
        else if (record.auto_remove)
          (void)remove_locked(record, true, true, lock);
        continue;
      }
      if (state && state->status == "paused" && record.state.status != Status::kPaused) {
        record.state.status = Status::kPaused;
        (void)save(record);
      }
      watch(record.id, record.shim_address);
    }
  }

  static bool is_mountpoint(const std::string& path) {
    struct stat self {};
    struct stat parent {};
    if (::stat(path.c_str(), &self) != 0 || ::stat((path + "/..").c_str(), &parent) != 0)
      return false;
    return self.st_dev != parent.st_dev || self.st_ino == parent.st_ino;
  }

  Result<TaskClient> client_of(const ContainerRecord& record) {
    if (!is_live(record.state.status))
      return not_running(record);
    return TaskClient::connect(record.shim_address);
  }
};

ContainerService::ContainerService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ContainerService::~ContainerService() {
  shutdown();
}

Result<std::unique_ptr<ContainerService>> ContainerService::open(
    const ServiceOptions& options, store::Database& db, images::ImageService& images,
    snapshots::Snapshotter& snapshotter, events::EventBus& bus) {
  auto store = ContainerStore::open(db);
  if (!store)
    return std::move(store).error();
  for (const auto& dir : {options.root / "containers", options.root / "volumes",
                          options.state / "shims", options.state / "runtime"})
    KEEL_TRY(fs::mkdir_all(dir.string(), 0711));
  auto events = ShimEvents::listen((options.state / "events.sock").string());
  if (!events)
    return std::move(events).error();
  auto impl = std::make_unique<Impl>(options, db, images, snapshotter, bus, std::move(*store));
  impl->shim_events = std::move(*events);
  std::unique_ptr<ContainerService> service(new ContainerService(std::move(impl)));
  service->impl_->recover();
  return service;
}

void ContainerService::shutdown() {
  if (!impl_)
    return;
  std::unique_lock lock(impl_->mutex);
  impl_->stopping = true;
  for (auto& [id, client] : impl_->watchers)
    client->interrupt();
  impl_->changed.notify_all();
  impl_->changed.wait(lock, [&] { return impl_->watcher_threads == 0; });
}

Result<ContainerRecord> ContainerService::create(const CreateRequest& request) {
  auto image = impl_->images.get(request.image);
  if (!image) {
    if (image.error().kind() == Errc::kNotFound)
      return Error::of(Errc::kNotFound, "No such image: " + request.image);
    return std::move(image).error();
  }
  auto image_config = parse_image_config(nlohmann::json::parse(image->config_json, nullptr, false)
                                             .value("config", nlohmann::json::object())
                                             .dump());
  if (!image_config)
    return std::move(image_config).error().context("image " + request.image);

  std::unique_lock lock(impl_->mutex);
  ContainerRecord record;
  record.id = new_container_id();
  if (request.name.empty()) {
    do {
      record.name = random_name();
    } while (impl_->store.find(record.name));
  } else {
    auto name = validate_name(request.name);
    if (!name)
      return std::move(name).error();
    record.name = *name;
  }
  record.image = request.image;
  record.image_id = image->id.str();
  record.config = request.config;
  record.labels = request.run.labels;
  record.restart = request.restart;
  record.auto_remove = request.auto_remove;
  record.tty = request.run.tty;
  record.open_stdin = request.run.stdin_open;
  record.stop_timeout = request.stop_timeout;
  record.created_ns = unix_now_ns();
  record.cgroups_path = "/keel/" + record.id;
  record.snapshot_key = "container-" + record.id;
  const std::string dir = impl_->dir_of(record.id);
  record.bundle = dir;
  record.log_path = dir + "/" + record.id + "-json.log";
  if (request.auto_remove && request.restart.name != "no")
    return Error::of(Errc::kInvalidArgument, "Conflicting options: --restart and --rm");
  {
    auto signal = request.stop_signal.empty() ? stop_signal_of(*image_config)
                                              : parse_signal(request.stop_signal);
    if (!signal)
      return std::move(signal).error();
    record.stop_signal = *signal;
  }

  // Everything made from here on is undone unless the record lands.
  bool committed = false;
  KEEL_TRY(fs::mkdir_all(dir, 0700));
  struct Cleanup {
    Impl& impl;
    ContainerRecord& record;
    bool& committed;
    ~Cleanup() {
      if (committed)
        return;
      impl.unmount_rootfs(record.id);
      (void)impl.snapshotter.remove(record.snapshot_key);
      (void)fs::remove_all(impl.dir_of(record.id));
      for (const auto& volume : record.anonymous_volumes)
        (void)fs::remove_all(volume);
    }
  } cleanup{*impl_, record, committed};

  std::string parent;
  if (!image->config.diff_ids.empty())
    parent = images::chain_ids(image->config.diff_ids).back().str();
  auto mounts = impl_->snapshotter.prepare(record.snapshot_key, parent);
  if (!mounts)
    return std::move(mounts).error().context("preparing the container's filesystem");
  KEEL_TRY(impl_->mount_rootfs(record));

  RunOptions run = request.run;
  for (const auto& key : volumes_needed(*image_config, run)) {
    if (run.volume_dirs.contains(key))
      continue;
    const bool named = !key.starts_with('/');
    const std::string volume_name = named ? key : random_hex(64);
    const auto volume_dir = impl_->options.root / "volumes" / volume_name / "_data";
    KEEL_TRY(fs::mkdir_all(volume_dir.string(), 0755));
    if (!named)
      record.anonymous_volumes.push_back((impl_->options.root / "volumes" / volume_name).string());
    run.volume_dirs[key] = volume_dir.string();
  }

  SpecContext context;
  context.id = record.id;
  context.rootfs = impl_->rootfs_of(record.id);
  context.cgroups_path = record.cgroups_path;
  context.log_path = record.log_path;
  auto spec = build_spec(*image_config, run, context);
  if (!spec)
    return std::move(spec).error();
  record.spec_json = oci::to_json(*spec);
  record.command = spec->process ? spec->process->args : std::vector<std::string>{};
  KEEL_TRY(fs::write_file_atomic(dir + "/config.json", record.spec_json, 0600));
  if (record.open_stdin)
    KEEL_TRY(make_fifo(dir + "/init-stdin"));
  KEEL_TRY(make_fifo(dir + "/init-stdout"));
  if (!record.tty)
    KEEL_TRY(make_fifo(dir + "/init-stderr"));

  KEEL_TRY(impl_->store.insert(record));
  committed = true;
  impl_->publish(record, "create");
  return record;
}

Result<ContainerRecord> ContainerService::get(std::string_view id_or_name) {
  return impl_->store.find(id_or_name);
}

Result<std::vector<ContainerRecord>> ContainerService::list() {
  return impl_->store.list();
}

Result<ContainerRecord> ContainerService::start(std::string_view id_or_name) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kRunning)
    return record;
  if (record->state.status == Status::kPaused)
    return Error::of(Errc::kFailedPrecondition,
                     "cannot start a paused container, try unpause instead");
  if (record->state.status == Status::kRemoving || record->state.status == Status::kDead)
    return Error::of(Errc::kFailedPrecondition, "container " + record->id + " is being removed");
  if (auto started = impl_->start_task(*record); !started) {
    record->state.error = started.error().message();
    (void)impl_->save(*record);
    return std::move(started).error();
  }
  return record;
}

Result<void> ContainerService::kill(std::string_view id_or_name, int signal) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  if (signal == SIGKILL || signal == SIGTERM || signal == SIGINT) {
    record->state.stopped_by_user = true;
    KEEL_TRY(impl_->save(*record));
  }
  KEEL_TRY(client->kill(record->id, signal));
  impl_->publish(*record, "kill", {{"signal", std::to_string(signal)}});
  return {};
}

Result<ContainerRecord> ContainerService::stop(std::string_view id_or_name, int timeout) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kRestarting) {
    record->state.stopped_by_user = true;
    record->state.status = Status::kExited;
    KEEL_TRY(impl_->save(*record));
    return record;
  }
  if (!is_live(record->state.status))
    return record;  // docker stop of a stopped container succeeds
  const std::string id = record->id;
  record->state.stopped_by_user = true;
  KEEL_TRY(impl_->save(*record));
  auto client = TaskClient::connect(record->shim_address);
  if (!client)
    return std::move(client).error();
  if (record->state.status == Status::kPaused)
    (void)client->resume(id);
  const int seconds = timeout >= 0 ? timeout : record->stop_timeout;
  auto exited = [&] {
    auto current = impl_->store.find(id);
    return !current || !is_live(current->state.status);
  };
  (void)client->kill(id, record->stop_signal);
  impl_->publish(*record, "kill", {{"signal", std::to_string(record->stop_signal)}});
  if (!impl_->changed.wait_for(lock, std::chrono::seconds(seconds), exited)) {
    (void)client->kill(id, SIGKILL, true);
    impl_->publish(*record, "kill", {{"signal", std::to_string(SIGKILL)}});
    impl_->changed.wait_for(lock, std::chrono::seconds(30), exited);
  }
  auto current = impl_->store.find(id);
  if (current)
    impl_->publish(*current, "stop");
  return current;
}

Result<ContainerRecord> ContainerService::restart(std::string_view id_or_name, int timeout) {
  auto stopped = stop(id_or_name, timeout);
  if (!stopped)
    return std::move(stopped).error();
  auto started = start(stopped->id);
  if (started)
    impl_->publish(*started, "restart");
  return started;
}

Result<void> ContainerService::pause(std::string_view id_or_name) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kPaused)
    return Error::of(Errc::kFailedPrecondition, "Container " + record->id + " is already paused");
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  KEEL_TRY(client->pause(record->id));
  record->state.status = Status::kPaused;
  KEEL_TRY(impl_->save(*record));
  impl_->publish(*record, "pause");
  return {};
}

Result<void> ContainerService::resume(std::string_view id_or_name) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  if (record->state.status != Status::kPaused)
    return Error::of(Errc::kFailedPrecondition, "Container " + record->id + " is not paused");
  auto client = TaskClient::connect(record->shim_address);
  if (!client)
    return std::move(client).error();
  KEEL_TRY(client->resume(record->id));
  record->state.status = Status::kRunning;
  KEEL_TRY(impl_->save(*record));
  impl_->publish(*record, "unpause");
  return {};
}

Result<ContainerRecord> ContainerService::wait(std::string_view id_or_name,
                                               const std::function<bool()>& cancelled) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record) {
    // Exited and auto-removed (--rm) before the wait began: attached runs ask by full id.
    if (auto removed = impl_->find_removed(id_or_name))
      return *removed;
    return std::move(record).error();
  }
  const std::string id = record->id;
  // docker wait returns on the next stop: a restarting container counts as stopped once.
  while (true) {
    auto current = impl_->store.find(id);
    if (!current) {
      // Removed (--rm): its final record holds the exit, not the last one seen here.
      if (auto removed = impl_->find_removed(id))
        return *removed;
      return record;
    }
    record = std::move(current);
    const Status s = record->state.status;
    if (s != Status::kRunning && s != Status::kPaused && s != Status::kCreated)
      return record;
    if (s == Status::kCreated && record->state.started_ns == 0 && !cancelled)
      return record;
    if (cancelled && cancelled())
      return Error::of(Errc::kUnavailable, "wait cancelled");
    impl_->changed.wait_for(lock, std::chrono::milliseconds(200));
  }
}

Result<void> ContainerService::remove(std::string_view id_or_name, bool force, bool volumes) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  return impl_->remove_locked(*record, force, volumes, lock);
}

Result<ContainerRecord> ContainerService::rename(std::string_view id_or_name,
                                                 std::string_view new_name) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto name = validate_name(new_name);
  if (!name)
    return std::move(name).error();
  const std::string old_name = record->name;
  record->name = *name;
  KEEL_TRY(impl_->save(*record));
  impl_->publish(*record, "rename", {{"oldName", "/" + old_name}});
  return record;
}

Result<ContainerRecord> ContainerService::update(std::string_view id_or_name,
                                                 std::int64_t memory_bytes, std::int64_t milli_cpus,
                                                 std::int64_t pids_limit,
                                                 const std::optional<RestartPolicy>& restart) {
  std::unique_lock lock(impl_->mutex);
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  nlohmann::json resources = nlohmann::json::object();
  if (memory_bytes > 0)
    resources["memory"] = {{"limit", memory_bytes}};
  if (milli_cpus > 0)
    resources["cpu"] = {{"quota", milli_cpus * 100}, {"period", 100000}};
  if (pids_limit != 0)
    resources["pids"] = {{"limit", pids_limit}};
  if (!resources.empty()) {
    if (is_live(record->state.status)) {
      auto client = TaskClient::connect(record->shim_address);
      if (!client)
        return std::move(client).error();
      KEEL_TRY(client->update(record->id, resources.dump()));
    }
    // The next start uses the new limits too.
    auto spec = nlohmann::json::parse(record->spec_json, nullptr, false);
    if (!spec.is_discarded()) {
      spec["linux"]["resources"].merge_patch(resources);
      record->spec_json = spec.dump(2);
      KEEL_TRY(fs::write_file_atomic(record->bundle + "/config.json", record->spec_json, 0600));
    }
  }
  if (restart) {
    if (record->auto_remove && restart->name != "no")
      return Error::of(Errc::kInvalidArgument,
                       "Restart policy cannot be updated because AutoRemove is enabled");
    record->restart = *restart;
  }
  KEEL_TRY(impl_->save(*record));
  impl_->publish(*record, "update");
  return record;
}

Result<ProcessStdio> ContainerService::init_stdio(std::string_view id_or_name) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  const std::string dir = impl_->dir_of(record->id);
  return ProcessStdio{.stdin_path = record->open_stdin ? dir + "/init-stdin" : "",
                      .stdout_path = dir + "/init-stdout",
                      .stderr_path = record->tty ? "" : dir + "/init-stderr",
                      .terminal = record->tty};
}

Result<void> ContainerService::resize(std::string_view id_or_name, const std::string& exec_id,
                                      std::uint32_t cols, std::uint32_t rows) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  return client->resize(record->id, exec_id, cols, rows);
}

Result<void> ContainerService::close_stdin(std::string_view id_or_name,
                                           const std::string& exec_id) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  return client->close_stdin(record->id, exec_id);
}

Result<ExecHandle> ContainerService::exec(std::string_view id_or_name, const ExecRequest& request) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kPaused)
    return Error::of(Errc::kFailedPrecondition,
                     "Container " + record->id + " is paused, unpause the container before exec");
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  if (request.cmd.empty())
    return Error::of(Errc::kInvalidArgument, "No exec command specified");

  // The exec'd process runs with the container's own process settings but its own command.
  auto spec = nlohmann::json::parse(record->spec_json, nullptr, false);
  if (spec.is_discarded() || !spec.contains("process"))
    return Error::of(Errc::kInternal, "container " + record->id + " has no process in its spec");
  nlohmann::json process = spec["process"];
  process["args"] = request.cmd;
  process["terminal"] = request.tty;
  process.erase("consoleSize");
  for (const auto& kv : request.env) {
    const std::string key = kv.substr(0, kv.find('='));
    auto& env = process["env"];
    auto same = std::find_if(env.begin(), env.end(), [&](const nlohmann::json& e) {
      const std::string s = e.get<std::string>();
      return s.substr(0, s.find('=')) == key;
    });
    if (same != env.end())
      *same = kv;
    else
      env.push_back(kv);
  }
  if (!request.working_dir.empty())
    process["cwd"] = request.working_dir;
  if (!request.user.empty()) {
    auto user = resolve_user(impl_->rootfs_of(record->id), request.user);
    if (!user)
      return std::move(user).error();
    process["user"] = {{"uid", user->uid}, {"gid", user->gid}};
    if (!user->additional_gids.empty())
      process["user"]["additionalGids"] = user->additional_gids;
  }
  if (request.privileged) {
    // docker exec --privileged: every capability, whatever the container was given.
    const auto& all = all_capabilities();
    process["capabilities"] = {
        {"bounding", all}, {"effective", all}, {"permitted", all}, {"inheritable", all}};
  }

  ExecHandle handle;
  handle.container_id = record->id;
  handle.exec_id = random_hex(16);
  const std::string prefix = impl_->dir_of(record->id) + "/exec-" + handle.exec_id;
  handle.stdio = ProcessStdio{.stdin_path = request.attach_stdin ? prefix + "-stdin" : "",
                              .stdout_path = prefix + "-stdout",
                              .stderr_path = request.tty ? "" : prefix + "-stderr",
                              .terminal = request.tty};
  for (const auto* path :
       {&handle.stdio.stdin_path, &handle.stdio.stdout_path, &handle.stdio.stderr_path})
    if (!path->empty())
      KEEL_TRY(make_fifo(*path));
  auto cleanup_fifos = [&] {
    for (const auto* path :
         {&handle.stdio.stdin_path, &handle.stdio.stdout_path, &handle.stdio.stderr_path})
      if (!path->empty())
        ::unlink(path->c_str());
  };
  TaskStdio stdio{.stdin_path = handle.stdio.stdin_path,
                  .stdout_path = handle.stdio.stdout_path,
                  .stderr_path = handle.stdio.stderr_path,
                  .terminal = request.tty};
  if (auto added = client->exec(record->id, handle.exec_id, stdio, process.dump()); !added) {
    cleanup_fifos();
    return std::move(added).error();
  }
  handle.pid = 0;
  return handle;
}

Result<void> ContainerService::start_exec(ExecHandle& handle) {
  auto record = impl_->store.find(handle.container_id);
  if (!record)
    return std::move(record).error();
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  auto pid = client->start(record->id, handle.exec_id);
  if (!pid) {
    (void)client->remove(record->id, handle.exec_id);
    return std::move(pid).error();
  }
  handle.pid = *pid;
  impl_->publish(*record, "exec_start", {{"execID", handle.exec_id}});
  return {};
}

Result<int> ContainerService::wait_exec(const ExecHandle& handle) {
  auto record = impl_->store.find(handle.container_id);
  if (!record)
    return std::move(record).error();
  auto client = TaskClient::connect(record->shim_address);
  if (!client)
    return std::move(client).error();
  auto exit = client->wait(record->id, handle.exec_id);
  (void)client->remove(record->id, handle.exec_id);
  for (const auto* path :
       {&handle.stdio.stdin_path, &handle.stdio.stdout_path, &handle.stdio.stderr_path})
    if (!path->empty())
      ::unlink(path->c_str());
  if (!exit)
    return std::move(exit).error();
  return exit->exit_status;
}

Result<std::vector<int>> ContainerService::pids(std::string_view id_or_name) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto client = impl_->client_of(*record);
  if (!client)
    return std::move(client).error();
  return client->pids(record->id);
}

Result<StatsSample> ContainerService::stats(std::string_view id_or_name) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  StatsSample sample;
  sample.system_cpu_ns = host_cpu_ns();
  sample.online_cpus = online_cpus();
  if (!is_live(record->state.status))
    return sample;
  // From the shim's Stats (containerd's cgroup metrics); a task that just ended has none.
  auto client = impl_->client_of(*record);
  auto stats = client ? client->stats(record->id) : Result<TaskStats>(std::move(client).error());
  auto figures = stats ? shimapi::figures_of_metrics(stats->type_url, stats->value)
                       : Result<shimapi::TaskFigures>(std::move(stats).error());
  if (!figures)
    return sample;
  sample.cpu_usage_ns = figures->cpu_usage_ns;
  sample.memory_usage = figures->memory_usage;
  sample.memory_limit = figures->memory_limit;
  sample.pids = figures->pids;
  sample.block_read = figures->block_read;
  sample.block_write = figures->block_write;
  return sample;
}

Result<std::vector<Change>> ContainerService::diff(std::string_view id_or_name) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  auto changes = snapshots::snapshot_changes(impl_->snapshotter, record->snapshot_key);
  if (!changes)
    return std::move(changes).error();
  std::vector<Change> out;
  for (const auto& change : *changes)
    out.push_back(Change{snapshots::change_letter(change.kind), change.path});
  return out;
}

Result<images::Image> ContainerService::commit(std::string_view id_or_name, const std::string& ref,
                                               const std::vector<std::string>& changes,
                                               const std::string& message,
                                               const std::string& author, bool pause_it) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  const bool paused_here = pause_it && record->state.status == Status::kRunning;
  if (paused_here)
    KEEL_TRY(pause(record->id));
  // The layer tar streams through a pipe from the exporting thread into the image service.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  Result<snapshots::LayerDigests> exported = Error::of(Errc::kInternal, "not exported");
  std::thread exporter([&, write = std::move(write_end)]() mutable {
    exported = snapshots::export_layer(impl_->snapshotter, record->snapshot_key,
                                       snapshots::write_to_fd(write.get()));
  });
  images::ImportOptions options;
  options.ref = ref;
  options.base = record->image_id;
  options.changes = changes;
  options.message = message;
  options.author = author;
  options.created_by = record->command.empty() ? "" : record->command.front();
  for (std::size_t i = 1; i < record->command.size(); ++i)
    options.created_by += " " + record->command[i];
  auto image = impl_->images.import_rootfs(images::fd_reader(read_end.get()), options);
  read_end.reset();
  exporter.join();
  if (paused_here)
    (void)resume(record->id);
  if (!exported)
    return std::move(exported).error().context("commit");
  if (!image)
    return std::move(image).error();
  impl_->publish(*record, "commit", {{"comment", message}});
  return image;
}

Result<std::string> ContainerService::rootfs(std::string_view id_or_name) {
  auto record = impl_->store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  std::unique_lock lock(impl_->mutex);
  KEEL_TRY(impl_->mount_rootfs(*record));
  return impl_->rootfs_of(record->id);
}

bool ContainerService::image_in_use(const std::string& image_id) {
  auto all = impl_->store.list();
  if (!all)
    return true;  // unknown: refuse rather than break a container
  return std::any_of(all->begin(), all->end(),
                     [&](const ContainerRecord& r) { return r.image_id == image_id; });
}

Result<images::GcRoots> ContainerService::gc_roots() {
  auto all = impl_->store.list();
  if (!all)
    return std::move(all).error();
  images::GcRoots roots;
  for (const auto& record : *all) {
    auto image = impl_->images.get(record.image_id);
    if (!image)
      continue;
    for (const auto& chain : images::chain_ids(image->config.diff_ids))
      roots.snapshots.insert(chain);
    roots.content.insert(image->target.digest);
    roots.content.insert(image->id);
    for (const auto& layer : image->layers)
      roots.content.insert(layer.digest);
  }
  return roots;
}

}  // namespace keel::manager::containers
