// Process: the transition table behind check_can, exit bookkeeping and waiters.
#include "shim/process.h"

namespace keel::shim {

const char* status_name(ProcessStatus status) {
  switch (status) {
    case ProcessStatus::kCreated:
      return "created";
    case ProcessStatus::kRunning:
      return "running";
    case ProcessStatus::kStopped:
      return "stopped";
    case ProcessStatus::kPaused:
      return "paused";
    case ProcessStatus::kUnknown:
      break;
  }
  return "unknown";
}

ProcessState Process::state() const {
  ProcessState s;
  s.exec_id = exec_id_;
  s.pid = pid_;
  s.status = status_;
  s.stdio = stdio_;
  if (exit_) {
    s.exit_status = exit_->status;
    s.exited_at_ns = exit_->exited_at_ns;
  }
  return s;
}

Result<void> Process::check_can(std::string_view action) const {
  bool ok = false;
  if (action == "start")
    ok = status_ == ProcessStatus::kCreated;
  else if (action == "kill")
    ok = status_ == ProcessStatus::kCreated || status_ == ProcessStatus::kRunning ||
         status_ == ProcessStatus::kPaused;
  else if (action == "pause" || action == "exec")
    ok = status_ == ProcessStatus::kRunning;
  else if (action == "resume")
    ok = status_ == ProcessStatus::kPaused;
  else if (action == "update")
    ok = status_ == ProcessStatus::kCreated || status_ == ProcessStatus::kRunning ||
         status_ == ProcessStatus::kPaused;
  else if (action == "delete")
    ok = status_ == ProcessStatus::kCreated || status_ == ProcessStatus::kStopped;
  if (ok)
    return {};
  if (action == "kill" && status_ == ProcessStatus::kStopped)
    return Error::of(Errc::kNotFound, "process already finished");
  return Error::of(Errc::kFailedPrecondition, "cannot " + std::string(action) + " a " +
                                                  status_name(status_) + " " +
                                                  (is_init() ? "task" : "exec process"));
}

void Process::set_created(pid_t pid, std::unique_ptr<io::ProcessIo> io) {
  pid_ = pid;
  io_ = std::move(io);
  status_ = ProcessStatus::kCreated;
}

void Process::set_running(pid_t pid) {
  pid_ = pid;
  if (status_ != ProcessStatus::kStopped)
    status_ = ProcessStatus::kRunning;
}

void Process::set_paused(bool paused) {
  if (status_ == ProcessStatus::kStopped)
    return;
  status_ = paused ? ProcessStatus::kPaused : ProcessStatus::kRunning;
}

void Process::set_exited(const shimapi::ExitRecord& record) {
  exit_ = record;
  status_ = ProcessStatus::kStopped;
  auto waiters = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiters)
    w(record);
}

void Process::add_waiter(WaitCallback callback) {
  if (exit_) {
    callback(*exit_);
    return;
  }
  waiters_.push_back(std::move(callback));
}

}  // namespace keel::shim
