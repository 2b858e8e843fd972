// The caller's terminal as the container's: `run` and `exec -t` in the foreground without
// --console-socket receive the pty master over a socketpair of their own and relay it to keel's
// stdin and stdout, as runc does (runc docs/terminals.md, "foreground" mode).
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <termios.h>

#include <optional>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::runtime {

class ConsoleRelay {
 public:
  // A connected socketpair; console_socket() is the end the container's process sends on.
  [[nodiscard]] static Result<ConsoleRelay> make();
  ConsoleRelay(ConsoleRelay&& other) noexcept;
  ConsoleRelay& operator=(ConsoleRelay&&) = delete;
  ConsoleRelay(const ConsoleRelay&) = delete;
  ConsoleRelay& operator=(const ConsoleRelay&) = delete;
  // Restores the caller's terminal mode.
  ~ConsoleRelay();

  [[nodiscard]] int console_socket() const noexcept { return child_end_.get(); }
  // Takes the pty master if the process sent one (it does so before it reports ready, so the
  // answer is final once create or exec returned); false when it had no terminal. Then makes
  // stdin raw if it is a terminal and gives the pty its size.
  [[nodiscard]] Result<bool> attach();
  // Copies stdin to the master and the master to stdout, turns SIGWINCH into TIOCSWINSZ and
  // forwards the other signals of `signals` (blocked by the caller) to `pid`. Returns the exit
  // code of `pid` (128+n for signal n) once it exited and the pty is drained.
  [[nodiscard]] Result<int> relay_until_exit(pid_t pid, const sigset_t& signals);

 private:
  ConsoleRelay(UniqueFd parent_end, UniqueFd child_end)
      : parent_end_(std::move(parent_end)), child_end_(std::move(child_end)) {}
  void resize() const;

  UniqueFd parent_end_;
  UniqueFd child_end_;
  UniqueFd master_;
  std::optional<struct termios> saved_mode_;
};

}  // namespace keel::runtime
