// Owns the running side of containers: launching a container's shim and starting its task,
// learning of its exit (ExitMonitor: one thread watching all containers and a few workers that
// record the exits, fed by the shims' TaskExit events), recording exits, applying restart
// policies after their back-off, and re-attaching to shims after a keeld restart. Its threads
// (the monitor's, the restart timer) are joined by stop().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/error.h"
#include "manager/containers/exit_monitor.h"
#include "manager/containers/phase_timer.h"
#include "manager/containers/service_state.h"

namespace keel::manager::containers {

class TaskSupervisor {
 public:
  // ContainerService's rm of a container that is not running, with or without the anonymous
  // volumes; mutex held, container claimed. For --rm containers that exited and for removals a
  // keeld crash interrupted.
  using Remove = std::function<void(ContainerRecord&, bool volumes, std::unique_lock<std::mutex>&)>;

  TaskSupervisor(ServiceState& state, Remove remove);
  ~TaskSupervisor();
  TaskSupervisor(const TaskSupervisor&) = delete;
  TaskSupervisor& operator=(const TaskSupervisor&) = delete;
  TaskSupervisor(TaskSupervisor&&) = delete;
  TaskSupervisor& operator=(TaskSupervisor&&) = delete;

  // Starts the exit monitor and routes the exits the shims report to it: TaskExit events from
  // state.shim_events, or the connector's own reports (a test double's). Before recover().
  [[nodiscard]] Result<void> start_monitor();

  // Launches the shim, creates and starts the init, saves the record as running and expects
  // its exit. Mutex held (released while the task is launched), container claimed.
  [[nodiscard]] Result<void> start_task(ContainerRecord& record,
                                        std::unique_lock<std::mutex>& lock);

  // After a keeld restart: expect the exits of running containers again, record the exits that
  // happened while keeld was away, resume pending restarts and removals, and give back the
  // addresses leased to no container. Mutex held.
  void recover(std::unique_lock<std::mutex>& lock);

  // Expects a detached exec'd process's exit, then drops it from the shim and removes its
  // fifos. Mutex held.
  void reap_exec(const ExecHandle& handle, const std::string& shim_address);

  // Stops the exit monitor and the restart timer and joins them (keeld shutting down):
  // containers keep running under their shims. Mutex not held. Idempotent.
  void stop();

 private:
  // The addresses a crash left leased with no record holding them (a lease made just before it,
  // or an attachment's deferred save lost to a power cut) go back to their ranges.
  void release_orphan_leases();
  // The slow part of start_task, mutex not held: rootfs mount, CNI ADD, shim launch and
  // connect, the runtime's create and start. The init's pid; on failure nothing is left.
  [[nodiscard]] Result<int> launch_task(ContainerRecord& record, PhaseTimer& timer);
  // Expects the exit of the init (pid) of container id.
  void watch_init(const std::string& id, int pid);
  // The pid of the shim serving container id, from the shim.pid its shim writes in the bundle;
  // 0 when there is none (a test double).
  [[nodiscard]] pid_t shim_pid_of(const std::string& id) const;

  void on_exit(const std::string& id, const Result<TaskExit>& exit,
               std::unique_lock<std::mutex>& lock);
  // Reads the OOM count while the cgroup still exists, then deletes the task and the shim.
  // Mutex held (released for the shim calls and CNI DEL), container claimed.
  // remove_next: the caller removes the container after (--rm), so it is saved as removing.
  void finish_task(ContainerRecord& record, int code, std::int64_t exited_at,
                   std::unique_lock<std::mutex>& lock, bool remove_next);
  // Marks the record restarting and queues its restart after the policy's back-off.
  void schedule_restart(ContainerRecord& record);
  void restart_due(const std::string& id, std::unique_lock<std::mutex>& lock);
  void run_timer();

  ServiceState& state_;
  Remove remove_;
  bool stopping_ = false;
  std::unique_ptr<ExitMonitor> monitor_;
  // Pending restarts by due time; the timer thread sleeps on timer_wake_ until the first.
  std::multimap<std::chrono::steady_clock::time_point, std::string> restarts_;
  std::condition_variable timer_wake_;
  std::thread timer_;
};

}  // namespace keel::manager::containers
