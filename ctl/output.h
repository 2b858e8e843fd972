// keelctl's writes of raw bytes to its stdout and stderr (logs, attached streams, save/export to
// stdout), and the one rule for such a write that fails.
#pragma once

#include <string_view>

#include "common/error.h"
#include "ctl/client.h"

namespace keel::ctl {

// The CommandError for a failed write of keelctl's output on fd: exit status 1 in every case.
// EPIPE means the reader has gone (`keelctl logs web | head -1`): the command ends without a
// message, as docker ends by SIGPIPE without one. Any other errno is printed as
// "write stdout: No space left on device".
[[nodiscard]] CommandError output_failure(int fd, const Error& error);

// Writes all of data to fd (STDOUT_FILENO or STDERR_FILENO); throws output_failure when the
// write fails.
void write_output(int fd, std::string_view data);

}  // namespace keel::ctl
