// ReadFn over a file descriptor.
#include <unistd.h>

#include "manager/images/layer_applier.h"

namespace keel::manager::images {

ReadFn fd_reader(int fd) {
  return [fd](std::span<std::byte> buf) -> Result<std::size_t> {
    for (;;) {
      const ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n >= 0)
        return static_cast<std::size_t>(n);
      if (errno != EINTR)
        return Error::sys("read");
    }
  };
}

}  // namespace keel::manager::images
