// What keeld learns from its shims' task events (shimapi/event_receiver.h): which containers had
// a process OOM-killed, and which init exits were reported. Replaces reading cgroupfs: the shim,
// which watches the cgroup, says so in a TaskOOM before the TaskExit of that init.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/error.h"
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

  // Waits (at most `timeout`) for the TaskExit of the container's init: once it is in, so is
  // any TaskOOM its shim sent before it. False when it did not come (a shim that lost events).
  bool await_exit(const std::string& container_id, std::chrono::milliseconds timeout);
  // Whether a TaskOOM came for the container since the last call; forgets it and its exit.
  [[nodiscard]] bool take_oom(const std::string& container_id);

  // The handler the receiver calls (public for tests that feed events without a socket).
  void on_event(const shimapi::TaskEvent& event);

 private:
  ShimEvents() = default;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<std::string> oom_;
  std::set<std::string> exited_;
  std::unique_ptr<shimapi::EventReceiver> receiver_;  // last: stops before the state goes
};

}  // namespace keel::manager::containers
