// The shim side of a container as ContainerService sees it: TaskShim is one connection to a
// task's shim (containerd.task.v2.Task), ShimConnector launches shims and connects to them. The
// real pair wraps TaskClient (task_client_shim.h); unit tests drive the service through fakes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/containers/task_client.h"

namespace keel::manager::containers {

// One connection; calls on it are serialised by the caller, except interrupt(). An empty
// exec_id names the init.
class TaskShim {
 public:
  TaskShim() = default;
  virtual ~TaskShim() = default;
  TaskShim(const TaskShim&) = delete;
  TaskShim& operator=(const TaskShim&) = delete;
  TaskShim(TaskShim&&) = delete;
  TaskShim& operator=(TaskShim&&) = delete;

  // The init's pid once created with the OCI runtime and its state root.
  [[nodiscard]] virtual Result<int> create(const std::string& id, const std::string& bundle,
                                           const TaskStdio& stdio, const std::string& runtime,
                                           const std::string& runtime_root) = 0;
  [[nodiscard]] virtual Result<int> start(const std::string& id, const std::string& exec_id) = 0;
  [[nodiscard]] virtual Result<void> kill(const std::string& id, int signal, bool all) = 0;
  // Blocks until the process exits, the shim goes away or interrupt() is called (an error).
  [[nodiscard]] virtual Result<TaskExit> wait(const std::string& id,
                                              const std::string& exec_id) = 0;
  [[nodiscard]] virtual Result<TaskState> state(const std::string& id) = 0;
  [[nodiscard]] virtual Result<std::vector<int>> pids(const std::string& id) = 0;
  [[nodiscard]] virtual Result<void> pause(const std::string& id) = 0;
  [[nodiscard]] virtual Result<void> resume(const std::string& id) = 0;
  // process_json: an OCI runtime-spec "process" object.
  [[nodiscard]] virtual Result<void> exec(const std::string& id, const std::string& exec_id,
                                          const TaskStdio& stdio,
                                          const std::string& process_json) = 0;
  [[nodiscard]] virtual Result<void> resize(const std::string& id, const std::string& exec_id,
                                            std::uint32_t width, std::uint32_t height) = 0;
  [[nodiscard]] virtual Result<void> close_stdin(const std::string& id,
                                                 const std::string& exec_id) = 0;
  // Deletes the init's task (or drops an exec'd process).
  [[nodiscard]] virtual Result<TaskExit> remove(const std::string& id,
                                                const std::string& exec_id) = 0;
  // resources_json: the runtime-spec's linux.resources object.
  [[nodiscard]] virtual Result<void> update(const std::string& id,
                                            const std::string& resources_json) = 0;
  // The task's cgroup metrics as the shim's Stats returns them (a typed Any).
  [[nodiscard]] virtual Result<TaskStats> stats(const std::string& id) = 0;
  // Asks the shim to exit once it has no task left.
  [[nodiscard]] virtual Result<void> shutdown(const std::string& id) = 0;
  // Makes a wait() in progress on another thread return; safe from any thread.
  virtual void interrupt() = 0;
};

class ShimConnector {
 public:
  ShimConnector() = default;
  virtual ~ShimConnector() = default;
  ShimConnector(const ShimConnector&) = delete;
  ShimConnector& operator=(const ShimConnector&) = delete;
  ShimConnector(ShimConnector&&) = delete;
  ShimConnector& operator=(ShimConnector&&) = delete;

  // Starts the container's shim; its socket address.
  [[nodiscard]] virtual Result<std::string> launch(const ShimLaunch& launch) = 0;
  [[nodiscard]] virtual Result<std::unique_ptr<TaskShim>> connect(const std::string& address) = 0;
  // Where exits go that do not come through keeld's event socket. Real shims report theirs as
  // TaskExit events (ShimEvents) and ignore this; a test double reports its own here.
  using ExitReport =
      std::function<void(const std::string& id, const std::string& exec_id, const TaskExit&)>;
  virtual void report_exits_to(ExitReport /*report*/) {}
};

}  // namespace keel::manager::containers
