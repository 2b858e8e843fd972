#include "ctl/output.h"

#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/fs.h"

namespace keel::ctl {

CommandError output_failure(int fd, const Error& error) {
  if (error.errnum() == EPIPE)
    return CommandError("", 1);
  const char* stream = fd == STDERR_FILENO ? "stderr" : "stdout";
  const char* reason = ::strerrordesc_np(error.errnum());
  return CommandError(
      std::string("write ") + stream + ": " + (reason != nullptr ? reason : error.message()), 1);
}

void write_output(int fd, std::string_view data) {
  if (auto written = fs::write_all(fd, data); !written)
    throw output_failure(fd, written.error());
}

}  // namespace keel::ctl
