// The local terminal of an interactive session: raw mode for as long as the session lasts, and
// its window size.
#pragma once

#include <termios.h>

#include <optional>

#include "keel/v1/tasks.pb.h"

namespace keel::ctl {

// Puts fd's terminal in raw mode as docker's term.MakeRaw does and restores it on destruction,
// on every path out of the scope. Does nothing when fd is not a terminal.
class RawTerminal {
 public:
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  [[nodiscard]] bool active() const { return active_; }

 private:
  int fd_;
  bool active_ = false;
  struct termios saved_ {};
};

// The size of the terminal on stdout (else stdin); nullopt when neither is one.
[[nodiscard]] std::optional<keel::v1::WindowSize> terminal_size();

}  // namespace keel::ctl
