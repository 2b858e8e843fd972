// The manager's end of the shims' task events: a ttrpc server for
// containerd.services.events.ttrpc.v1.Events/Forward on a unix socket, the address a shim gets as
// kTtrpcAddressEnv (shimapi/binary.h). A shim sends its events in order on one connection, so
// a TaskOOM it saw before the exit arrives before that TaskExit. One thread serves every shim.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::shimapi {

// The events a manager acts on, decoded; others arrive with only topic and namespace set.
struct TaskEvent {
  std::string ns;
  std::string topic;         // "/tasks/oom", "/tasks/exit", "/tasks/start", ...
  std::string container_id;  // TaskOOM and TaskExit
  std::string exec_id;       // TaskExit of an exec'd process; empty for the init
  std::uint32_t exit_status = 0;
  std::uint32_t pid = 0;          // TaskExit: the process that exited
  std::int64_t exited_at_ns = 0;  // TaskExit
};

class EventReceiver {
 public:
  // Called on the receiver's thread, one event at a time, before the shim gets its answer.
  using Handler = std::function<void(const TaskEvent&)>;

  // Binds `path` (a stale socket there is replaced) and starts serving.
  [[nodiscard]] static Result<std::unique_ptr<EventReceiver>> listen(const std::string& path,
                                                                     Handler handler);
  EventReceiver(const EventReceiver&) = delete;
  EventReceiver& operator=(const EventReceiver&) = delete;
  EventReceiver(EventReceiver&&) = delete;
  EventReceiver& operator=(EventReceiver&&) = delete;
  // Stops the thread and removes the socket; shims then retry, and drop what they cannot send.
  ~EventReceiver();

  // "unix://<path>", as a shim dials it.
  [[nodiscard]] std::string address() const { return "unix://" + path_; }

 private:
  EventReceiver(std::string path, UniqueFd listener, UniqueFd wake, Handler handler);
  void serve();

  std::string path_;
  UniqueFd listener_;
  UniqueFd wake_;  // an eventfd: written once to stop serve()
  Handler handler_;
  std::thread thread_;
};

}  // namespace keel::shimapi
