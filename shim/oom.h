// Watches a container's memory cgroup for OOM kills (TaskOOM): cgroup v1 through an eventfd on
// memory.oom_control (a signal while the cgroup exists is one OOM), cgroup v2 through inotify on
// memory.events (each rise of its oom_kill counter is one).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"
#include "shim/event_loop.h"

namespace keel::shim {

class OomWatcher {
 public:
  // Watches the memory cgroup `pid` belongs to; kNotFound when it has none to watch.
  [[nodiscard]] static Result<std::unique_ptr<OomWatcher>> watch(EventLoop& loop, pid_t pid,
                                                                 std::function<void()> on_oom);
  OomWatcher(const OomWatcher&) = delete;
  OomWatcher& operator=(const OomWatcher&) = delete;
  OomWatcher(OomWatcher&&) = delete;
  OomWatcher& operator=(OomWatcher&&) = delete;
  ~OomWatcher();

  // Reports kills the counter shows that no notification reported yet. The task calls it when the
  // init exits, before its TaskExit: the kernel counts a kill before the victim dies, but its
  // notification may come after the SIGCHLD, and a manager reads TaskOOM before TaskExit.
  void check();

 private:
  OomWatcher(EventLoop& loop, std::function<void()> on_oom)
      : loop_(loop), on_oom_(std::move(on_oom)) {}
  void on_event();
  void drain();
  [[nodiscard]] std::uint64_t oom_kills() const;

  EventLoop& loop_;
  std::function<void()> on_oom_;
  UniqueFd notify_;           // eventfd (v1) or inotify (v2)
  std::string counter_file_;  // memory.oom_control (v1) or memory.events (v2)
  std::uint64_t seen_ = 0;
  bool v2_ = false;
};

}  // namespace keel::shim
