// What keeld learns from its shims' task events (shimapi/event_receiver.h): which containers had
// a process OOM-killed, and every process exit, handed to the exit handler (ExitMonitor). The
// OOM replaces reading cgroupfs: the shim, which watches the cgroup, sends a TaskOOM before the
// TaskExit of that init, on one connection, so the OOM is recorded before the exit is handled.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/error.h"
#include "manager/containers/task_client.h"
#include "shimapi/event_receiver.h"

namespace keel::manager::containers {

class ShimEvents {
 public:
  // Serves the shims' events on `socket_path`; address() goes into each shim's environment.
  [[nodiscard]] static Result<std::unique_ptr<ShimEvents>> listen(const std::string& socket_path);
  ShimEvents(const ShimEvents&) = delete;
  ShimEvents& operator=(const ShimEvents&) = delete;
  ShimEvents(ShimEvents&&) = delete;
  ShimEvents& operator=(ShimEvents&&) = delete;
  ~ShimEvents();

  [[nodiscard]] std::string address() const;

  using ExitHandler =
      std::function<void(const std::string& id, const std::string& exec_id, const TaskExit&)>;
  // Called on the receiver's thread for each TaskExit (init and exec'd processes); it must not
  // block (it queues).
  void set_exit_handler(ExitHandler handler);
  // Whether a TaskOOM came for the container since the last call; forgets it.
  [[nodiscard]] bool take_oom(const std::string& container_id);

  // The handler the receiver calls (public for tests that feed events without a socket).
  void on_event(const shimapi::TaskEvent& event);

 private:
  ShimEvents() = default;

  std::mutex mutex_;
  std::set<std::string> oom_;
  ExitHandler exit_handler_;
  std::unique_ptr<shimapi::EventReceiver> receiver_;  // last: stops before the state goes
};

}  // namespace keel::manager::containers
