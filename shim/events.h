// What the task core tells the world (containerd's /tasks/* topics), as plain calls; the
// Publisher turns them into containerd.events messages.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "shim/io/stdio.h"
#include "shim/mount.h"

namespace keel::shim {

class EventSink {
 public:
  EventSink() = default;
  EventSink(const EventSink&) = delete;
  EventSink& operator=(const EventSink&) = delete;
  EventSink(EventSink&&) = delete;
  EventSink& operator=(EventSink&&) = delete;
  virtual ~EventSink() = default;

  virtual void task_create(const std::string& id, const std::string& bundle,
                           const std::vector<MountSpec>& rootfs, const io::StdioPaths& stdio,
                           pid_t pid) = 0;
  virtual void task_start(const std::string& id, pid_t pid) = 0;
  virtual void task_exit(const std::string& id, const std::string& exec_id, pid_t pid,
                         std::uint32_t status, std::int64_t exited_at_ns) = 0;
  virtual void task_exec_added(const std::string& id, const std::string& exec_id) = 0;
  virtual void task_exec_started(const std::string& id, const std::string& exec_id, pid_t pid) = 0;
  virtual void task_paused(const std::string& id) = 0;
  virtual void task_resumed(const std::string& id) = 0;
  virtual void task_delete(const std::string& id, pid_t pid, std::uint32_t status,
                           std::int64_t exited_at_ns) = 0;
  virtual void task_oom(const std::string& id) = 0;
};

}  // namespace keel::shim
