// ReadFn over a file descriptor: the snapshotter's, which is the same type.
#include "manager/images/layer_applier.h"
#include "manager/snapshots/layer_stream.h"

namespace keel::manager::images {

ReadFn fd_reader(int fd) {
  return snapshots::read_from_fd(fd);
}

}  // namespace keel::manager::images
