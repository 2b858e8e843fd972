#include "manager/containers/task_supervisor.h"

#include <signal.h>

#include <charconv>
#include <filesystem>
#include <future>
#include <set>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/fs.h"
#include "common/scope_guard.h"
#include "manager/containers/container_network.h"
#include "manager/containers/phase_timer.h"
#include "manager/containers/restart_policy.h"

namespace keel::manager::containers {

TaskSupervisor::TaskSupervisor(ServiceState& state, Remove remove)
    : state_(state), remove_(std::move(remove)), timer_([this] { run_timer(); }) {}

TaskSupervisor::~TaskSupervisor() {
  stop();
}

void TaskSupervisor::stop() {
  {
    std::unique_lock lock(state_.mutex);
    stopping_ = true;
    timer_wake_.notify_all();
    state_.changed.notify_all();
  }
  // Nothing reports to the monitor once it stops (ShimEvents outlives this supervisor).
  if (state_.shim_events)
    state_.shim_events->set_exit_handler(nullptr);
  state_.shims->report_exits_to(nullptr);
  // Joined without the mutex: a callback under way takes it once more on its way out.
  if (monitor_)
    monitor_->stop();
  if (timer_.joinable())
    timer_.join();
}

Result<void> TaskSupervisor::start_monitor() {
  auto monitor = ExitMonitor::start();
  if (!monitor)
    return std::move(monitor).error();
  monitor_ = std::move(*monitor);
  const auto report = [monitor = monitor_.get()](const std::string& id, const std::string& exec_id,
                                                 const TaskExit& exit) {
    monitor->report(exec_id.empty() ? id : id + "/" + exec_id, exit);
  };
  if (state_.shim_events)
    state_.shim_events->set_exit_handler(report);
  state_.shims->report_exits_to(report);
  return {};
}

pid_t TaskSupervisor::shim_pid_of(const std::string& id) const {
  std::string text;
  if (auto read = fs::read_file(state_.dir_of(id) + "/shim.pid"); read)
    text = std::move(*read);
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), pid);
  (void)end;
  return error == std::errc() && pid > 0 ? pid : 0;
}

Result<void> TaskSupervisor::start_task(ContainerRecord& record,
                                        std::unique_lock<std::mutex>& lock) {
  PhaseTimer timer("start", record.id);
  Result<int> pid = 0;
  {
    Unlocked unlocked(lock);
    pid = launch_task(record, timer);
  }
  if (!pid)
    return std::move(pid).error();
  record.state.status = Status::kRunning;
  record.state.pid = *pid;
  record.state.started_ns = unix_now_ns();
  record.state.exit_code = 0;
  record.state.oom_killed = false;
  record.state.error.clear();
  record.state.stopped_by_user = false;
  // Deferred: after a power cut the task is gone whatever the record says, and recovery checks
  // each live record against its shim.
  auto saved = state_.save(record, store::Durability::kDeferred);
  timer.lap("save");
  if (!saved) {
    // Not recorded as running: the task goes, as a failed start leaves nothing behind.
    Unlocked unlocked(lock);
    monitor_->forget(record.id);
    if (auto shim = state_.shims->connect(record.shim_address)) {
      (void)(*shim)->kill(record.id, SIGKILL, true);
      (void)(*shim)->remove(record.id, "");
      (void)(*shim)->shutdown(record.id);
    }
    detach_network(state_, record);
    return saved;
  }
  state_.publish(record, "start");
  return {};
}

Result<int> TaskSupervisor::launch_task(ContainerRecord& record, PhaseTimer& timer) {
  KEEL_TRY(state_.mount_rootfs(record));
  timer.lap("mount");
  // The network is wired (CNI ADD: a process or two) while the shim starts and the runtime
  // creates the task: the runtime needs only the namespace to exist, and the task runs nothing
  // of the container's before start, which waits for the wiring. Until the join the wiring
  // thread alone writes the record; this one only reads its id, tty and stdin.
  std::promise<bool> namespace_promise;
  std::future<bool> namespace_ready = namespace_promise.get_future();
  Result<void> wired;
  bool wired_ok = false;  // read after the join only
  // Declared before the thread, so on an early return the thread is joined first.
  ScopeGuard undo_network([&] {
    if (!wired_ok)
      return;
    detach_network(state_, record);
    (void)state_.save(record);
  });
  std::jthread wiring;
  if (uses_cni(record)) {
    wiring = std::jthread([&] {
      bool signalled = false;
      wired = attach_network(state_, record, [&] {
        signalled = true;
        namespace_promise.set_value(true);
      });
      wired_ok = wired.has_value();
      if (!signalled)
        namespace_promise.set_value(false);  // no namespace made: the wiring failed
    });
  } else {
    namespace_promise.set_value(true);  // none, host or another's: nothing to wire, no thread
  }
  const auto finish_wiring = [&]() -> Result<void> {
    if (wiring.joinable())
      wiring.join();
    return wired;
  };

  const std::string dir = state_.dir_of(record.id);
  auto address = state_.shims->launch(ShimLaunch{.shim_binary = state_.options.shim.string(),
                                                 .ns = state_.options.ns,
                                                 .id = record.id,
                                                 .bundle = dir,
                                                 .address = state_.options.address,
                                                 .env = state_.shim_env()});
  if (!address)
    return std::move(address).error();
  timer.lap("shim launch");
  auto shim = state_.shims->connect(*address);
  if (!shim)
    return std::move(shim).error();
  timer.lap("shim connect");
  if (!namespace_ready.get()) {
    (void)(*shim)->shutdown(record.id);
    KEEL_TRY(finish_wiring());
  }
  TaskStdio stdio{.stdin_path = record.open_stdin ? dir + "/init-stdin" : "",
                  .stdout_path = dir + "/init-stdout",
                  .stderr_path = record.tty ? "" : dir + "/init-stderr",
                  .terminal = record.tty};
  auto pid = (*shim)->create(record.id, dir, stdio, state_.options.runtime.string(),
                             state_.runtime_root());
  if (!pid) {
    (void)(*shim)->shutdown(record.id);
    return std::move(pid).error();
  }
  timer.lap("runtime create");
  if (auto network = finish_wiring(); !network) {
    (void)(*shim)->remove(record.id, "");
    (void)(*shim)->shutdown(record.id);
    return std::move(network).error();
  }
  timer.lap("network");
  record.shim_address = *address;
  // Expected before it starts: a process that ends at once reports its exit at once (and is
  // recorded once this start, which holds the container's claim, is done).
  watch_init(record.id, *pid);
  auto started = (*shim)->start(record.id, "");
  if (!started) {
    monitor_->forget(record.id);
    (void)(*shim)->remove(record.id, "");
    (void)(*shim)->shutdown(record.id);
    return std::move(started).error();
  }
  timer.lap("runtime start");
  undo_network.release();
  return *started;
}

void TaskSupervisor::watch_init(const std::string& id, int pid) {
  monitor_->expect(id, pid, shim_pid_of(id), [this, id](Result<TaskExit> exit) {
    std::unique_lock lock(state_.mutex);
    if (stopping_)
      return;
    // After the operation in flight on this container (the start that expects this exit).
    ContainerOp op(state_, id, lock);
    if (!stopping_)
      on_exit(id, exit, lock);
    state_.changed.notify_all();
  });
}

void TaskSupervisor::reap_exec(const ExecHandle& handle, const std::string& shim_address) {
  const std::string key = handle.container_id + "/" + handle.exec_id;
  monitor_->expect(key, 0, shim_pid_of(handle.container_id),
                   [this, handle, shim_address](const Result<TaskExit>&) {
                     std::unique_lock lock(state_.mutex);
                     if (stopping_)
                       return;
                     if (auto shim = state_.shims->connect(shim_address))
                       (void)(*shim)->remove(handle.container_id, handle.exec_id);
                     remove_fifos(handle.stdio);
                   });
}

void TaskSupervisor::on_exit(const std::string& id, const Result<TaskExit>& exit,
                             std::unique_lock<std::mutex>& lock) {
  auto record = state_.store.find(id);
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
  finish_task(*record, code, exited_at, lock, true);
  if (should_restart(*record)) {
    schedule_restart(*record);
    return;
  }
  if (record->auto_remove)
    remove_(*record, true, lock);
}

void TaskSupervisor::finish_task(ContainerRecord& record, int code, std::int64_t exited_at,
                                 std::unique_lock<std::mutex>& lock, bool remove_next) {
  PhaseTimer timer("exit", record.id);
  {
    Unlocked unlocked(lock);
    // Taken from its shim's TaskOOM event: the shim sends it before the TaskExit that brought us
    // here, on the same connection.
    record.state.oom_killed = state_.shim_events->take_oom(record.id);
    // Reads only the id and the address: detach_network below writes other fields.
    const auto release_shim = [this, &record] {
      if (auto shim = state_.shims->connect(record.shim_address)) {
        (void)(*shim)->remove(record.id, "");
        (void)(*shim)->shutdown(record.id);
      }
    };
    if (record.attachment || !record.connected_attachments.empty()) {
      // The runtime's delete and the network's DEL (each a process or two) share nothing: the
      // task is gone, and keeld's bind mount keeps the namespace until DEL. So side by side.
      std::jthread shim_release(release_shim);
      // docker's teardown on stop: the address and published ports are given back.
      detach_network(state_, record);
      shim_release.join();
      timer.lap("shim delete and network");
    } else {
      release_shim();
      timer.lap("shim delete");
    }
  }
  record.state.status = Status::kExited;
  record.state.exit_code = code;
  record.state.finished_ns = exited_at;
  record.state.pid = 0;
  // An --rm container goes next: "removing" with its exit in one write (one fsync less), and a
  // crash before the removal is done resumes it at recovery, as for any "removing" record.
  if (remove_next && record.auto_remove && !should_restart(record))
    record.state.status = Status::kRemoving;
  // Deferred: if a power cut drops it, recovery finds the task gone and finishes it again (and
  // removes an --rm container); a removal's own synced commits make it durable before any file
  // of the container goes.
  if (auto saved = state_.save(record, store::Durability::kDeferred); !saved)
    spdlog::warn("container {}: {}", record.id, saved.error().message());
  timer.lap("save");
  if (record.state.oom_killed)
    state_.publish(record, "oom");
  state_.publish(record, "die", {{"exitCode", std::to_string(code)}});
}

void TaskSupervisor::schedule_restart(ContainerRecord& record) {
  record.state.status = Status::kRestarting;
  (void)state_.save(record);
  restarts_.emplace(std::chrono::steady_clock::now() + restart_delay(record.state.restart_count),
                    record.id);
  timer_wake_.notify_all();
}

void TaskSupervisor::restart_due(const std::string& id, std::unique_lock<std::mutex>& lock) {
  ContainerOp op(state_, id, lock);
  auto current = state_.store.find(id);
  // A stop or rm meanwhile took the container out of "restarting": nothing to do.
  if (!current || current->state.status != Status::kRestarting)
    return;
  ++current->state.restart_count;
  if (auto started = start_task(*current, lock); !started) {
    current->state.status = Status::kExited;
    current->state.error = started.error().message();
    (void)state_.save(*current);
  }
}

void TaskSupervisor::run_timer() {
  std::unique_lock lock(state_.mutex);
  while (!stopping_) {
    if (restarts_.empty()) {
      timer_wake_.wait(lock);
      continue;
    }
    const auto due = restarts_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      timer_wake_.wait_until(lock, due);
      continue;  // woken early (a new restart, stop) or due: look again
    }
    const std::string id = restarts_.begin()->second;
    restarts_.erase(restarts_.begin());
    restart_due(id, lock);
  }
}

void TaskSupervisor::recover(std::unique_lock<std::mutex>& lock) {
  auto all = state_.store.list();
  if (!all) {
    spdlog::error("recovering containers: {}", all.error().message());
    return;
  }
  for (auto& record : *all) {
    const std::string rootfs = state_.rootfs_of(record.id);
    if (std::filesystem::exists(rootfs) && ServiceState::is_mountpoint(rootfs)) {
      std::lock_guard mounted_lock(state_.mounted_mutex);
      state_.mounted.insert(record.id);
    }
    if (record.state.status == Status::kRestarting) {
      schedule_restart(record);
      continue;
    }
    if (record.state.status == Status::kRemoving) {
      remove_(record, false, lock);
      continue;
    }
    if (!is_live(record.state.status)) {
      // Died while keeld was down between ADD and its exit being seen, or never started.
      if (record.attachment) {
        detach_network(state_, record);
        (void)state_.save(record);
      }
      continue;
    }
    if (record.attachment && state_.options.networks != nullptr)
      state_.options.networks->adopt(record.id, *record.attachment);
    auto shim = state_.shims->connect(record.shim_address);
    if (!shim) {
      // The shim is gone with whatever it knew: the exit code is lost.
      record.state.error = "the shim exited while keeld was down";
      finish_task(record, 255, unix_now_ns(), lock, false);
      // As docker: an --rm container found dead goes (after a reboot, say).
      if (record.auto_remove && !should_restart(record))
        remove_(record, true, lock);
      continue;
    }
    auto task = (*shim)->state(record.id);
    if (task && task->status == "stopped") {
      finish_task(record, task->exit_status, task->exited_at_ns, lock, true);
      if (should_restart(record))
        schedule_restart(record);
      else if (record.auto_remove)
        remove_(record, true, lock);
      continue;
    }
    if (task && task->status == "paused" && record.state.status != Status::kPaused) {
      record.state.status = Status::kPaused;
      (void)state_.save(record);
    }
    watch_init(record.id, record.state.pid);
  }
  release_orphan_leases();
}

void TaskSupervisor::release_orphan_leases() {
  if (state_.options.networks == nullptr)
    return;
  // The attachments as recovery left them: a container still holding one keeps its addresses.
  auto all = state_.store.list();
  if (!all) {
    spdlog::warn("releasing orphaned addresses: {}", all.error().message());
    return;  // nothing released on a guess
  }
  std::set<std::string> holders;
  for (const auto& record : *all)
    if (record.attachment || !record.connected_attachments.empty())
      holders.insert(record.id);
  auto released = state_.options.networks->release_orphan_leases(holders);
  if (!released)
    spdlog::warn("releasing orphaned addresses: {}", released.error().message());
  else if (*released > 0)
    spdlog::info("released {} address(es) leased to no container", *released);
}

}  // namespace keel::manager::containers
