// The ttrpc adapter of containerd.task.v2.Task: parses requests, calls the Task core, writes
// responses, maps Errc to status codes. Nothing else lives here.
#pragma once

#include <functional>

#include "shim/task.h"
#include "shim/ttrpc/server.h"

namespace keel::shim {

inline constexpr const char* kTaskService = "containerd.task.v2.Task";

class TaskService {
 public:
  // `on_shutdown` runs after a Shutdown the task accepted (no container left, or now=true),
  // once the reply is queued.
  TaskService(Task& task, std::function<void()> on_shutdown)
      : task_(task), on_shutdown_(std::move(on_shutdown)) {}

  void register_with(ttrpc::Server& server);

 private:
  void register_lifecycle(ttrpc::Server& server);
  void register_queries(ttrpc::Server& server);
  Task& task_;
  std::function<void()> on_shutdown_;
};

}  // namespace keel::shim
