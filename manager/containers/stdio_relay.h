// Relays a process's fifos (opened here) to a client's stream, whichever frontend carries it:
// output as it comes, until the shim closes its ends when the process is gone.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "manager/containers/container_service.h"

namespace keel::manager::containers {

class StdioRelay {
 public:
  // Opens the output fifos for reading (the shim holds them open for writing, so this never
  // blocks) and, with attach_stdin, the stdin fifo for writing.
  [[nodiscard]] static Result<StdioRelay> open(const ProcessStdio& stdio, bool attach_stdin);

  // Copies output to emit(is_stderr, bytes) until both streams end or stop() returns true
  // (checked every 100 ms). emit returning false ends the relay (the client went away).
  void pump(const std::function<bool(bool is_stderr, std::string_view bytes)>& emit,
            const std::function<bool()>& stop);

  // Input to the process; false once stdin is closed.
  bool write_stdin(std::string_view bytes);
  // The process sees end of file on stdin once the shim notices the writer is gone.
  void close_stdin() { stdin_.reset(); }

 private:
  UniqueFd stdout_;
  UniqueFd stderr_;
  UniqueFd stdin_;
};

}  // namespace keel::manager::containers
