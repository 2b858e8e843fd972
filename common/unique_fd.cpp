// UniqueFd's out-of-line part: the errno-preserving close.
#include "common/unique_fd.h"

#include <unistd.h>

#include <cerrno>

namespace keel {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
  }
  fd_ = fd;
}

}  // namespace keel
