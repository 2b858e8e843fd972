// How keeld learns that a task's process ended, for every container on one thread: the exit is
// reported (a shim's TaskExit event, relayed by ShimEvents), and a shim that dies without
// reporting is seen through a pidfd on the shim process. A thread blocked in a shim's Wait per
// running container made keeld's thread count grow with its containers.
//
// The callbacks run on a few workers beside that thread, not on it: recording an exit waits for
// the runtime's delete and the shim's shutdown (25 ms and more), and with one thread doing that
// for every container in turn, `rm -f` of a thousand containers took as many times as long
// however many removals were in flight. A fixed few keep the thread count bounded.
//
// Each expected exit is a key (the container id for its init, "id/exec-id" for an exec'd
// process) with the pid of the process when known: an exit reported for another pid under the
// same key (an earlier run of a restarted container) is not this one. An exit reported before it
// is expected (a task that ends between its shim's state query and the registration) is kept for
// a while and handed over when the expectation comes.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/unique_fd.h"
#include "manager/containers/task_client.h"

namespace keel::manager::containers {

class ExitMonitor {
 public:
  // Runs on one of the monitor's workers, once per expectation: the exit, or an error when the
  // shim died without reporting it. Callbacks of different keys may run at the same time.
  using Exited = std::function<void(Result<TaskExit>)>;

  // Enough to overlap the shim deletes of the removals keelctl keeps in flight on two cores.
  static constexpr std::size_t kDefaultWorkers = 4;

  // How long a shim's death waits for an exit report that may still be on its way.
  static constexpr std::chrono::milliseconds kShimDeathGrace{500};
  // How long an exit nobody expects yet is kept.
  static constexpr std::chrono::seconds kEarlyExitKept{60};

  [[nodiscard]] static Result<std::unique_ptr<ExitMonitor>> start(
      std::size_t workers = kDefaultWorkers);
  ExitMonitor(const ExitMonitor&) = delete;
  ExitMonitor& operator=(const ExitMonitor&) = delete;
  ExitMonitor(ExitMonitor&&) = delete;
  ExitMonitor& operator=(ExitMonitor&&) = delete;
  ~ExitMonitor();

  // Expects the exit of `key`'s process `pid` (0: whichever reports under key), whose shim is
  // `shim_pid` (0: its life is not watched). Replaces an earlier expectation of key.
  void expect(const std::string& key, int pid, pid_t shim_pid, Exited exited);
  // Drops the expectation of key (a task whose start failed); its callback never runs.
  void forget(const std::string& key);
  // An exit, from any thread.
  void report(const std::string& key, const TaskExit& exit);

  // Stops the threads and joins them (a callback under way finishes first); callbacks not yet
  // run are dropped. Idempotent.
  void stop();

 private:
  struct Expected {
    int pid = 0;
    Exited exited;
    UniqueFd shim_pidfd;
    std::uint64_t token = 0;  // its epoll data
    std::optional<std::chrono::steady_clock::time_point> shim_died;
  };
  struct EarlyExit {
    TaskExit exit;
    std::chrono::steady_clock::time_point at;
  };
  struct Due {
    Exited exited;
    Result<TaskExit> exit;
  };

  ExitMonitor(UniqueFd epoll, UniqueFd wake);
  void run();
  void run_callbacks();
  void wake() const;
  // With mutex_ held: moves key's expectation to due_ with `exit`.
  void settle_locked(std::map<std::string, Expected>::iterator it, Result<TaskExit> exit);
  // With mutex_ held: the shims dead past their grace settle with an error, early exits past
  // their time go; the time until the next such deadline (-1: none).
  int expire_locked(std::chrono::steady_clock::time_point now);

  UniqueFd epoll_;
  UniqueFd wake_;  // an eventfd
  std::mutex mutex_;
  bool stopping_ = false;
  std::uint64_t next_token_ = 1;
  std::map<std::string, Expected> expected_;
  std::map<std::uint64_t, std::string> key_of_token_;
  std::multimap<std::string, EarlyExit> early_;
  // Settled, waiting for a worker; workers sleep on due_ready_.
  std::deque<Due> due_;
  std::condition_variable due_ready_;
  std::thread thread_;
  std::vector<std::thread> workers_;
};

}  // namespace keel::manager::containers
