// The task core: one container (its init process) and its exec processes, driven through the
// runtime CLI. Keel types in, Result out; the ttrpc adapter (task_service.cpp) maps them to
// containerd.task.v2 messages and Errc to status codes.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "shim/event_loop.h"
#include "shim/events.h"
#include "shim/mount.h"
#include "shim/oom.h"
#include "shim/process.h"
#include "shim/runtime_client.h"

namespace keel::shim {

struct TaskConfig {
  std::string ns;               // containerd namespace
  std::string state_dir;        // pid files, exit files, runtime log: the bundle directory
  std::string default_runtime;  // keel next to the shim binary
  std::string default_root;     // /run/containerd/keel/<namespace>
};

struct CreateOptions {
  std::string id;
  std::string bundle;
  std::vector<MountSpec> rootfs;
  io::StdioPaths stdio;
  std::string runtime_binary;  // from runc-style options; empty: the default
  std::string runtime_root;
};

struct PidInfo {
  pid_t pid = 0;
  std::string exec_id;  // set when the pid is one of this shim's exec processes
};

class Task {
 public:
  Task(EventLoop& loop, EventSink& events, TaskConfig config);
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  Task(Task&&) = delete;
  Task& operator=(Task&&) = delete;
  ~Task();

  [[nodiscard]] Result<pid_t> create(const CreateOptions& options);
  [[nodiscard]] Result<pid_t> start(const std::string& id, const std::string& exec_id);
  [[nodiscard]] Result<ProcessState> state(const std::string& id, const std::string& exec_id);
  [[nodiscard]] Result<void> kill(const std::string& id, const std::string& exec_id, int signal,
                                  bool all);
  [[nodiscard]] Result<void> exec(const std::string& id, const std::string& exec_id,
                                  const io::StdioPaths& stdio, std::string spec_json);
  [[nodiscard]] Result<void> resize_pty(const std::string& id, const std::string& exec_id,
                                        std::uint32_t width, std::uint32_t height);
  [[nodiscard]] Result<void> close_io(const std::string& id, const std::string& exec_id,
                                      bool stdin);
  // Calls `done` when the process exits, at once if it already has.
  [[nodiscard]] Result<void> wait(const std::string& id, const std::string& exec_id,
                                  WaitCallback done);
  [[nodiscard]] Result<std::vector<PidInfo>> pids(const std::string& id);
  // The runtime's stats JSON for the container (`events --stats`).
  [[nodiscard]] Result<std::string> stats(const std::string& id);
  [[nodiscard]] Result<void> pause(const std::string& id);
  [[nodiscard]] Result<void> resume(const std::string& id);
  [[nodiscard]] Result<void> update(const std::string& id, const std::string& resources_json);
  // Delete: the exec process, or the container (runtime delete, rootfs unmounted).
  [[nodiscard]] Result<shimapi::ExitRecord> remove(const std::string& id,
                                                   const std::string& exec_id);

  // The reaper's report of a child that exited. Unknown pids (reparented orphans) are ignored.
  void on_exit(pid_t pid, int wait_status);
  // Set by the daemon: reaps exited children now (Delete wants the init's status at once).
  void set_reaper(std::function<void()> reap) { reap_ = std::move(reap); }

  [[nodiscard]] const std::string& id() const { return id_; }
  [[nodiscard]] const std::string& bundle() const { return bundle_; }
  [[nodiscard]] pid_t init_pid() const { return init_ ? init_->pid() : 0; }
  // No container left to serve: never created, or deleted.
  [[nodiscard]] bool finished() const { return !init_ || deleted_; }

 private:
  [[nodiscard]] Result<Process*> find(const std::string& id, const std::string& exec_id);
  [[nodiscard]] Result<void> start_exec(Process& p);
  [[nodiscard]] std::string path(const std::string& name) const;
  void after_exit(Process& p);

  EventLoop& loop_;
  EventSink& events_;
  TaskConfig config_;
  std::string id_;
  std::string bundle_;
  std::vector<MountSpec> rootfs_;
  bool rootfs_mounted_ = false;
  bool deleted_ = false;
  std::unique_ptr<RuntimeClient> runtime_;
  std::unique_ptr<Process> init_;
  std::map<std::string, std::unique_ptr<Process>> execs_;
  std::function<void()> reap_;
  std::unique_ptr<OomWatcher> oom_;
};

// The runtime binary and root chosen at Create, kept in the state dir for `delete`.
[[nodiscard]] std::string runtime_file_path(const std::string& state_dir);

}  // namespace keel::shim
