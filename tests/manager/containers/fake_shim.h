// Test double of keel-shim for ContainerService: tasks are entries in memory that the test makes
// exit, and every call that changes something is recorded. FakeShims is shared between the test
// and the connector the service owns, so it outlives both.
#pragma once

#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "manager/containers/task_shim.h"

namespace keel::manager::containers::testing {

struct FakeProcess {
  int pid = 0;
  std::string status = "created";  // created, running, stopped, paused
  std::optional<TaskExit> exit;
  TaskStdio stdio;
  std::string process_json;  // exec'd processes
};

struct FakeTask {
  std::string bundle;
  bool shut_down = false;
  std::map<std::string, FakeProcess> processes;  // "" the init, then exec ids
};

class FakeShims {
 public:
  // What the fake does on a signal: the process exits with 128 + signal when it returns true.
  std::function<bool(int signal)> dies_of = [](int signal) {
    return signal == SIGKILL || signal == SIGTERM || signal == SIGINT;
  };

  // Runs at the start of every launch, without the fake's mutex: a test holds a launch here to
  // see what else the service does meanwhile.
  std::function<void(const std::string& id)> on_launch;

  // Makes a process exit (as the container's init or an exec'd process would).
  void exit(const std::string& id, int code, const std::string& exec_id = "") {
    std::lock_guard lock(mutex_);
    exit_locked(id, exec_id, code);
  }

  // The shim and its task are gone without an exit on record (a reboot, a killed shim).
  void vanish(const std::string& id) {
    std::lock_guard lock(mutex_);
    tasks_.erase(address_of(id));
  }

  // Blocks until the init of id is running under a shim launched `launches` times (restarts).
  bool wait_running(const std::string& id, int launches,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      auto it = tasks_.find(address_of(id));
      return launches_[id] >= launches && it != tasks_.end() &&
             it->second.processes[""].status == "running";
    });
  }

  int launches(const std::string& id) {
    std::lock_guard lock(mutex_);
    return launches_[id];
  }
  std::vector<int> signals(const std::string& id) {
    std::lock_guard lock(mutex_);
    return signals_[id];
  }
  std::vector<std::string> updates(const std::string& id) {
    std::lock_guard lock(mutex_);
    return updates_[id];
  }
  std::optional<FakeProcess> process(const std::string& id, const std::string& exec_id = "") {
    std::lock_guard lock(mutex_);
    auto it = tasks_.find(address_of(id));
    if (it == tasks_.end() || !it->second.processes.contains(exec_id))
      return std::nullopt;
    return it->second.processes[exec_id];
  }
  bool shut_down(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = tasks_.find(address_of(id));
    return it == tasks_.end() || it->second.shut_down;
  }
  // Wait calls in progress (attached execs).
  int waiting() {
    std::lock_guard lock(mutex_);
    return waiting_;
  }

  std::unique_ptr<ShimConnector> connector();

 private:
  friend class FakeShim;
  friend class FakeConnector;

  static std::string address_of(const std::string& id) { return "fake://" + id; }

  // Reported as a real shim's TaskExit would be: to whoever the connector was given.
  void exit_locked(const std::string& id, const std::string& exec_id, int code) {
    auto& process = tasks_[address_of(id)].processes[exec_id];
    process.status = "stopped";
    process.exit = TaskExit{.pid = process.pid, .exit_status = code, .exited_at_ns = 1};
    if (report_)
      report_(id, exec_id, *process.exit);
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, FakeTask> tasks_;  // by address
  std::map<std::string, int> launches_;
  std::map<std::string, std::vector<int>> signals_;
  std::map<std::string, std::vector<std::string>> updates_;
  int next_pid_ = 100;
  int waiting_ = 0;
  ShimConnector::ExitReport report_;
};

class FakeShim final : public TaskShim {
 public:
  FakeShim(FakeShims& shims, std::string address) : shims_(shims), address_(std::move(address)) {}

  Result<int> create(const std::string&, const std::string& bundle, const TaskStdio& stdio,
                     const std::string&, const std::string&) override {
    std::lock_guard lock(shims_.mutex_);
    auto& task = task_locked();
    task.bundle = bundle;
    auto& init = task.processes[""] = FakeProcess{};
    init.pid = ++shims_.next_pid_;
    init.stdio = stdio;
    return init.pid;
  }
  Result<int> start(const std::string&, const std::string& exec_id) override {
    std::lock_guard lock(shims_.mutex_);
    auto& processes = task_locked().processes;
    if (!processes.contains(exec_id))
      return Error::of(Errc::kNotFound, "no process " + exec_id);
    auto& process = processes[exec_id];
    if (process.pid == 0)
      process.pid = ++shims_.next_pid_;
    process.status = "running";
    shims_.changed_.notify_all();
    return process.pid;
  }
  Result<void> kill(const std::string& id, int signal, bool) override {
    std::lock_guard lock(shims_.mutex_);
    shims_.signals_[id].push_back(signal);
    if (shims_.dies_of(signal))
      shims_.exit_locked(id, "", 128 + signal);
    return {};
  }
  Result<TaskExit> wait(const std::string&, const std::string& exec_id) override {
    std::unique_lock lock(shims_.mutex_);
    ++shims_.waiting_;
    shims_.changed_.wait(
        lock, [&] { return interrupted_ || task_locked().processes[exec_id].exit.has_value(); });
    --shims_.waiting_;
    if (interrupted_)
      return Error::of(Errc::kUnavailable, "wait interrupted");
    return *task_locked().processes[exec_id].exit;
  }
  Result<TaskState> state(const std::string&) override {
    std::lock_guard lock(shims_.mutex_);
    const auto& init = task_locked().processes[""];
    return TaskState{.pid = init.pid,
                     .status = init.status,
                     .exit_status = init.exit ? init.exit->exit_status : 0,
                     .exited_at_ns = init.exit ? init.exit->exited_at_ns : 0};
  }
  Result<std::vector<int>> pids(const std::string&) override {
    std::lock_guard lock(shims_.mutex_);
    std::vector<int> out;
    for (const auto& [exec_id, process] : task_locked().processes)
      if (process.status == "running")
        out.push_back(process.pid);
    return out;
  }
  Result<void> pause(const std::string&) override { return set_init_status("paused"); }
  Result<void> resume(const std::string&) override { return set_init_status("running"); }
  Result<void> exec(const std::string&, const std::string& exec_id, const TaskStdio& stdio,
                    const std::string& process_json) override {
    std::lock_guard lock(shims_.mutex_);
    auto& process = task_locked().processes[exec_id] = FakeProcess{};
    process.stdio = stdio;
    process.process_json = process_json;
    return {};
  }
  Result<void> resize(const std::string&, const std::string&, std::uint32_t,
                      std::uint32_t) override {
    return {};
  }
  Result<void> close_stdin(const std::string&, const std::string&) override { return {}; }
  Result<TaskExit> remove(const std::string&, const std::string& exec_id) override {
    std::lock_guard lock(shims_.mutex_);
    auto& processes = task_locked().processes;
    auto it = processes.find(exec_id);
    if (it == processes.end())
      return Error::of(Errc::kNotFound, "no process " + exec_id);
    TaskExit exit = it->second.exit.value_or(TaskExit{});
    if (!exec_id.empty())
      processes.erase(it);
    return exit;
  }
  Result<void> update(const std::string& id, const std::string& resources_json) override {
    std::lock_guard lock(shims_.mutex_);
    shims_.updates_[id].push_back(resources_json);
    return {};
  }
  Result<TaskStats> stats(const std::string&) override {
    return Error::of(Errc::kUnavailable, "the fake shim keeps no cgroup");
  }
  Result<void> shutdown(const std::string&) override {
    std::lock_guard lock(shims_.mutex_);
    task_locked().shut_down = true;
    return {};
  }
  void interrupt() override {
    std::lock_guard lock(shims_.mutex_);
    interrupted_ = true;
    shims_.changed_.notify_all();
  }

 private:
  FakeTask& task_locked() { return shims_.tasks_[address_]; }
  Result<void> set_init_status(const char* status) {
    std::lock_guard lock(shims_.mutex_);
    task_locked().processes[""].status = status;
    return {};
  }

  FakeShims& shims_;
  std::string address_;
  bool interrupted_ = false;
};

class FakeConnector final : public ShimConnector {
 public:
  explicit FakeConnector(FakeShims& shims) : shims_(shims) {}
  Result<std::string> launch(const ShimLaunch& launch) override {
    if (shims_.on_launch)
      shims_.on_launch(launch.id);
    std::lock_guard lock(shims_.mutex_);
    ++shims_.launches_[launch.id];
    const std::string address = FakeShims::address_of(launch.id);
    shims_.tasks_[address] = FakeTask{};
    shims_.tasks_[address].bundle = launch.bundle;
    return address;
  }
  Result<std::unique_ptr<TaskShim>> connect(const std::string& address) override {
    std::lock_guard lock(shims_.mutex_);
    auto it = shims_.tasks_.find(address);
    if (it == shims_.tasks_.end() || it->second.shut_down)
      return Error::of(Errc::kUnavailable, "connect " + address + ": no shim");
    return std::unique_ptr<TaskShim>(std::make_unique<FakeShim>(shims_, address));
  }
  void report_exits_to(ExitReport report) override {
    std::lock_guard lock(shims_.mutex_);
    shims_.report_ = std::move(report);
  }

 private:
  FakeShims& shims_;
};

inline std::unique_ptr<ShimConnector> FakeShims::connector() {
  return std::make_unique<FakeConnector>(*this);
}

}  // namespace keel::manager::containers::testing
