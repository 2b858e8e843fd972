#include "manager/containers/stdio_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <vector>

namespace keel::manager::containers {

Result<StdioRelay> StdioRelay::open(const ProcessStdio& stdio, bool attach_stdin) {
  StdioRelay relay;
  auto open_output = [](const std::string& path, UniqueFd& fd) -> Result<void> {
    if (path.empty())
      return {};
    fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0)
      return Error::sys("open " + path);
    return {};
  };
  KEEL_TRY(open_output(stdio.stdout_path, relay.stdout_));
  KEEL_TRY(open_output(stdio.stderr_path, relay.stderr_));
  if (attach_stdin && !stdio.stdin_path.empty()) {
    // Read-write: opening never waits for the shim, and the shim sees end of file only when
    // this end is closed.
    relay.stdin_ = UniqueFd(::open(stdio.stdin_path.c_str(), O_RDWR | O_CLOEXEC));
    if (relay.stdin_.get() < 0)
      return Error::sys("open " + stdio.stdin_path);
  }
  return relay;
}

void StdioRelay::pump(const std::function<bool(bool, std::string_view)>& emit,
                      const std::function<bool()>& stop) {
  std::vector<char> buffer(1 << 16);
  while (stdout_.get() >= 0 || stderr_.get() >= 0) {
    if (stop && stop())
      return;
    pollfd fds[2] = {{stdout_.get(), POLLIN, 0}, {stderr_.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, 100);
    if (ready < 0 && errno != EINTR)
      return;
    if (ready <= 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0)
        continue;
      UniqueFd& fd = i == 0 ? stdout_ : stderr_;
      const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
      if (n > 0) {
        if (!emit(i == 1, std::string_view(buffer.data(), static_cast<std::size_t>(n))))
          return;
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();  // the shim closed its end: the process is gone
      }
    }
  }
}

bool StdioRelay::write_stdin(std::string_view bytes) {
  while (!bytes.empty() && stdin_.get() >= 0) {
    const ssize_t n = ::write(stdin_.get(), bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return stdin_.get() >= 0;
}

}  // namespace keel::manager::containers
