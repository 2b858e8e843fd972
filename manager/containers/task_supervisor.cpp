#include "manager/containers/task_supervisor.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/scope_guard.h"
#include "manager/containers/container_network.h"
#include "manager/containers/restart_policy.h"

namespace keel::manager::containers {

TaskSupervisor::TaskSupervisor(ServiceState& state, Remove remove)
    : state_(state), remove_(std::move(remove)), timer_([this] { run_timer(); }) {}

TaskSupervisor::~TaskSupervisor() {
  stop();
}

void TaskSupervisor::stop() {
  std::list<Watcher> watchers;
  {
    std::unique_lock lock(state_.mutex);
    stopping_ = true;
    for (auto& [key, shim] : waiting_)
      shim->interrupt();
    timer_wake_.notify_all();
    state_.changed.notify_all();
    watchers.splice(watchers.end(), watchers_);
  }
  // Joined without the mutex: each watcher takes it once more on its way out.
  for (auto& watcher : watchers)
    if (watcher.thread.joinable())
      watcher.thread.join();
  if (timer_.joinable())
    timer_.join();
}

Result<void> TaskSupervisor::start_task(ContainerRecord& record) {
  KEEL_TRY(state_.mount_rootfs(record));
  // The namespace exists and is wired before the runtime joins it by path.
  KEEL_TRY(attach_network(state_, record));
  ScopeGuard undo_network([&] {
    detach_network(state_, record);
    (void)state_.save(record);
  });
  const std::string dir = state_.dir_of(record.id);
  auto address = state_.shims->launch(ShimLaunch{.shim_binary = state_.options.shim.string(),
                                                 .ns = state_.options.ns,
                                                 .id = record.id,
                                                 .bundle = dir,
                                                 .address = state_.options.address,
                                                 .env = state_.shim_env()});
  if (!address)
    return std::move(address).error();
  record.shim_address = *address;
  auto shim = state_.shims->connect(*address);
  if (!shim)
    return std::move(shim).error();
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
  auto started = (*shim)->start(record.id, "");
  if (!started) {
    (void)(*shim)->remove(record.id, "");
    (void)(*shim)->shutdown(record.id);
    return std::move(started).error();
  }
  record.state.status = Status::kRunning;
  record.state.pid = *started;
  record.state.started_ns = unix_now_ns();
  record.state.exit_code = 0;
  record.state.oom_killed = false;
  record.state.error.clear();
  record.state.stopped_by_user = false;
  KEEL_TRY(state_.save(record));
  undo_network.release();
  state_.publish(record, "start");
  watch_init(record.id, record.shim_address);
  return {};
}

void TaskSupervisor::watch(
    const std::string& key, const std::string& address, const std::string& id,
    const std::string& exec_id,
    std::function<void(Result<TaskExit>, std::unique_lock<std::mutex>&)> exited) {
  reap_watchers();
  if (stopping_)
    return;
  auto shim = state_.shims->connect(address);
  if (!shim) {
    spdlog::warn("container {}: cannot watch its shim: {}", id, shim.error().message());
    return;
  }
  std::shared_ptr<TaskShim> shared = std::move(*shim);
  waiting_[key] = shared;
  Watcher& watcher = watchers_.emplace_back();
  // The mutex is held here, so the thread cannot mark itself done before it is stored.
  watcher.thread =
      std::thread([this, key, id, exec_id, shared, &watcher, exited = std::move(exited)] {
        auto exit = shared->wait(id, exec_id);
        // The shim's TaskExit follows any TaskOOM of this run: with it in, finish_task knows.
        if (exit && exec_id.empty() && state_.shims->forwards_events() &&
            !state_.shim_events->await_exit(id, std::chrono::seconds(2)))
          spdlog::warn("container {}: no exit event from its shim; an OOM kill may go unseen", id);
        std::unique_lock lock(state_.mutex);
        if (auto it = waiting_.find(key); it != waiting_.end() && it->second == shared)
          waiting_.erase(it);
        if (!stopping_)
          exited(std::move(exit), lock);
        watcher.done = true;
        state_.changed.notify_all();
      });
}

void TaskSupervisor::watch_init(const std::string& id, const std::string& address) {
  watch(id, address, id, "", [this, id](Result<TaskExit> exit, std::unique_lock<std::mutex>& lock) {
    on_exit(id, exit, lock);
  });
}

void TaskSupervisor::reap_exec(const ExecHandle& handle, const std::string& shim_address) {
  const std::string key = handle.container_id + "/" + handle.exec_id;
  watch(key, shim_address, handle.container_id, handle.exec_id,
        [this, handle, shim_address](const Result<TaskExit>&, std::unique_lock<std::mutex>&) {
          if (auto shim = state_.shims->connect(shim_address))
            (void)(*shim)->remove(handle.container_id, handle.exec_id);
          remove_fifos(handle.stdio);
        });
}

void TaskSupervisor::reap_watchers() {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    if (!it->done) {
      ++it;
      continue;
    }
    it->thread.join();
    it = watchers_.erase(it);
  }
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
  finish_task(*record, code, exited_at);
  if (should_restart(*record)) {
    schedule_restart(*record);
    return;
  }
  if (record->auto_remove)
    remove_(*record, true, lock);
}

void TaskSupervisor::finish_task(ContainerRecord& record, int code, std::int64_t exited_at) {
  // Taken from its shim's TaskOOM event, which arrived before the exit (see the watcher).
  record.state.oom_killed = state_.shim_events->take_oom(record.id);
  if (auto shim = state_.shims->connect(record.shim_address)) {
    (void)(*shim)->remove(record.id, "");
    (void)(*shim)->shutdown(record.id);
  }
  // docker's teardown on stop: the address and published ports are given back.
  detach_network(state_, record);
  record.state.status = Status::kExited;
  record.state.exit_code = code;
  record.state.finished_ns = exited_at;
  record.state.pid = 0;
  if (auto saved = state_.save(record); !saved)
    spdlog::warn("container {}: {}", record.id, saved.error().message());
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

void TaskSupervisor::restart_due(const std::string& id) {
  auto current = state_.store.find(id);
  // A stop or rm meanwhile took the container out of "restarting": nothing to do.
  if (!current || current->state.status != Status::kRestarting)
    return;
  ++current->state.restart_count;
  if (auto started = start_task(*current); !started) {
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
    restart_due(id);
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
    if (std::filesystem::exists(rootfs) && ServiceState::is_mountpoint(rootfs))
      state_.mounted.insert(record.id);
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
      finish_task(record, 255, unix_now_ns());
      continue;
    }
    auto task = (*shim)->state(record.id);
    if (task && task->status == "stopped") {
      finish_task(record, task->exit_status, task->exited_at_ns);
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
    watch_init(record.id, record.shim_address);
  }
}

}  // namespace keel::manager::containers
