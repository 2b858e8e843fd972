// Owns the running side of containers: launching a container's shim and starting its task,
// one watcher per running task blocked in the shim's Wait, recording exits, applying restart
// policies after their back-off, and re-attaching to shims after a keeld restart. Every thread
// it starts (watchers, the restart timer) is its own and is joined by stop().
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/error.h"
#include "manager/containers/service_state.h"

namespace keel::manager::containers {

class TaskSupervisor {
 public:
  // ContainerService's forced rm, with or without the anonymous volumes; mutex held. For --rm
  // containers that exited and for removals a keeld crash interrupted.
  using Remove = std::function<void(ContainerRecord&, bool volumes, std::unique_lock<std::mutex>&)>;

  TaskSupervisor(ServiceState& state, Remove remove);
  ~TaskSupervisor();
  TaskSupervisor(const TaskSupervisor&) = delete;
  TaskSupervisor& operator=(const TaskSupervisor&) = delete;
  TaskSupervisor(TaskSupervisor&&) = delete;
  TaskSupervisor& operator=(TaskSupervisor&&) = delete;

  // Launches the shim, creates and starts the init, saves the record as running and watches
  // it. Mutex held.
  [[nodiscard]] Result<void> start_task(ContainerRecord& record);

  // After a keeld restart: watch the shims of running containers again, record the exits that
  // happened while keeld was away, resume pending restarts and removals. Mutex held.
  void recover(std::unique_lock<std::mutex>& lock);

  // Waits for a detached exec'd process in the background, then drops it from the shim and
  // removes its fifos. Mutex held.
  void reap_exec(const ExecHandle& handle, const std::string& shim_address);

  // Interrupts the watchers and the restart timer and joins them (keeld shutting down):
  // containers keep running under their shims. Mutex not held. Idempotent.
  void stop();

 private:
  struct Watcher {
    std::thread thread;
    bool done = false;  // set under the mutex as the thread's last step
  };

  // Starts a thread that blocks in the shim's Wait for `exec_id` ("" the init) and then runs
  // `exited` with the mutex held, unless stopping.
  void watch(const std::string& key, const std::string& address, const std::string& id,
             const std::string& exec_id,
             std::function<void(Result<TaskExit>, std::unique_lock<std::mutex>&)> exited);
  void watch_init(const std::string& id, const std::string& address);
  // Joins the watchers that have finished (mutex held: they no longer need it).
  void reap_watchers();

  void on_exit(const std::string& id, const Result<TaskExit>& exit,
               std::unique_lock<std::mutex>& lock);
  // Reads the OOM count while the cgroup still exists, then deletes the task and the shim.
  void finish_task(ContainerRecord& record, int code, std::int64_t exited_at);
  // Marks the record restarting and queues its restart after the policy's back-off.
  void schedule_restart(ContainerRecord& record);
  void restart_due(const std::string& id);
  void run_timer();

  ServiceState& state_;
  Remove remove_;
  bool stopping_ = false;
  // The shims blocked in Wait, by container id (or id/exec id), to interrupt them at stop().
  std::map<std::string, std::shared_ptr<TaskShim>> waiting_;
  std::list<Watcher> watchers_;
  // Pending restarts by due time; the timer thread sleeps on timer_wake_ until the first.
  std::multimap<std::chrono::steady_clock::time_point, std::string> restarts_;
  std::condition_variable timer_wake_;
  std::thread timer_;
};

}  // namespace keel::manager::containers
