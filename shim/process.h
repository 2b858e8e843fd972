// One process the shim owns: the container's init or an exec, as a state machine whose
// transitions (created -> running <-> paused -> stopped -> deleted) refuse what they cannot do.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "shim/io/stdio.h"
#include "shimapi/exit_file.h"

namespace keel::shim {

// Numbered as containerd.v1.types.Status.
enum class ProcessStatus { kUnknown = 0, kCreated = 1, kRunning = 2, kStopped = 3, kPaused = 4 };

[[nodiscard]] const char* status_name(ProcessStatus status);

struct ProcessState {
  std::string exec_id;  // empty for the init process
  pid_t pid = 0;
  ProcessStatus status = ProcessStatus::kUnknown;
  io::StdioPaths stdio;
  std::uint32_t exit_status = 0;
  std::int64_t exited_at_ns = 0;
};

using WaitCallback = std::function<void(const shimapi::ExitRecord&)>;

class Process {
 public:
  Process(std::string exec_id, io::StdioPaths stdio)
      : exec_id_(std::move(exec_id)), stdio_(std::move(stdio)) {}

  [[nodiscard]] const std::string& exec_id() const { return exec_id_; }
  [[nodiscard]] bool is_init() const { return exec_id_.empty(); }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] ProcessStatus status() const { return status_; }
  [[nodiscard]] const io::StdioPaths& stdio() const { return stdio_; }
  [[nodiscard]] const std::optional<shimapi::ExitRecord>& exit() const { return exit_; }
  [[nodiscard]] ProcessState state() const;
  [[nodiscard]] io::ProcessIo* io() { return io_.get(); }

  // Each refuses with kFailedPrecondition ("cannot start a running process") when the
  // current status does not allow the step.
  [[nodiscard]] Result<void> check_can(std::string_view action) const;
  void set_created(pid_t pid, std::unique_ptr<io::ProcessIo> io);
  void set_running(pid_t pid);
  void set_paused(bool paused);
  // Records the exit, wakes every waiter; later waiters are answered at once.
  void set_exited(const shimapi::ExitRecord& record);
  void add_waiter(WaitCallback callback);
  void release_io() { io_.reset(); }

  // Exec processes keep their spec until started.
  std::string spec_json;

 private:
  std::string exec_id_;
  io::StdioPaths stdio_;
  pid_t pid_ = 0;
  ProcessStatus status_ = ProcessStatus::kUnknown;
  std::unique_ptr<io::ProcessIo> io_;
  std::optional<shimapi::ExitRecord> exit_;
  std::vector<WaitCallback> waiters_;
};

}  // namespace keel::shim
