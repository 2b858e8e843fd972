// The console socket of runc's terminal protocol: a unix socket in a private temp dir whose path
// goes to `keel create/exec --console-socket`; keel connects and sends the pty master with
// SCM_RIGHTS. Also the window-size call behind ResizePty.
#pragma once

#include <cstdint>
#include <string>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::shim::io {

class ConsoleSocket {
 public:
  // Creates <tmp>/keel-shim-XXXXXX/pty.sock (dir 0700), listening.
  [[nodiscard]] static Result<ConsoleSocket> create();
  ConsoleSocket(ConsoleSocket&& other) noexcept = default;
  ConsoleSocket& operator=(ConsoleSocket&& other) noexcept = default;
  ConsoleSocket(const ConsoleSocket&) = delete;
  ConsoleSocket& operator=(const ConsoleSocket&) = delete;
  // Removes the socket and its directory.
  ~ConsoleSocket();

  [[nodiscard]] const std::string& path() const { return path_; }
  // The master sent by a runtime that has already connected (call after it exited successfully).
  // Exactly one fd, which must be a terminal; anything else is refused.
  [[nodiscard]] Result<UniqueFd> receive_master();

 private:
  ConsoleSocket() = default;
  UniqueFd listener_;
  std::string dir_;
  std::string path_;
};

// TIOCSWINSZ on the pty master.
[[nodiscard]] Result<void> resize_pty(int master, std::uint32_t width, std::uint32_t height);

}  // namespace keel::shim::io
