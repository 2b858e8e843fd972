// Helpers shared by the lifecycle operations (not part of the runtime's interface).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <string>

#include "common/error.h"
#include "oci-spec/runtime_config.h"
#include "runtime/lifecycle/state_store.h"

namespace keel::runtime {

// config.json as it was at create, kept in the state directory.
[[nodiscard]] Result<oci::RuntimeConfig> load_saved_config(const ContainerDir& dir);
// The OCI state JSON (runtime.md "State") for hooks and `keel state`.
[[nodiscard]] std::string state_document(const ContainerRecord& record, Status status);
// A failure that does not fail the operation (poststart/poststop hooks): logged as a warning.
void warn(const Error& error);
// A waitpid status as a shell reports it: the exit status, or 128+n for signal n.
[[nodiscard]] int exit_code_of(int wait_status);

// Blocks SIGCHLD and the signals a terminal user sends (SIGINT, SIGTERM, SIGHUP, SIGWINCH...) for
// its lifetime, so none is lost before wait_for runs; a child must unblock them before execve.
class ForwardedSignals {
 public:
  ForwardedSignals();
  ~ForwardedSignals();
  ForwardedSignals(const ForwardedSignals&) = delete;
  ForwardedSignals& operator=(const ForwardedSignals&) = delete;
  // Forwards every other blocked signal to `pid` until it exits; returns its exit code, 128+n for
  // signal n, as a shell does.
  [[nodiscard]] Result<int> wait_for(pid_t pid);
  // The blocked set, for a caller that waits on a signalfd instead (ConsoleRelay).
  [[nodiscard]] const sigset_t& signals() const noexcept { return set_; }

 private:
  sigset_t set_{};
  sigset_t old_{};
};

}  // namespace keel::runtime
