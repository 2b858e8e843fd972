// A pty pair standing for a user's terminal, for tools that insist on one (`ctr -t`, `podman -it`).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace keel::dropin {

class Terminal {
 public:
  Terminal(unsigned short rows, unsigned short cols);
  // Starts argv in a new session whose controlling terminal and stdio are the slave.
  [[nodiscard]] pid_t spawn(const std::vector<std::string>& argv) const;
  void write(const std::string& text) const;
  // Reads until `regex` matches what was read (empty: until EOF/EIO) or the deadline.
  [[nodiscard]] std::string read_until(const std::string& regex,
                                       std::chrono::seconds timeout = std::chrono::seconds(30));

 private:
  UniqueFd master_;
  std::string slave_path_;
};

// Waits for `pid` (a child) through a pidfd; kills it after `timeout`. Returns the exit code,
// 128+n for signal n.
[[nodiscard]] int wait_exit_code(pid_t pid,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace keel::dropin
