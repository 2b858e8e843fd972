// start_container: runtime.md "start". Opening exec.fifo for reading releases the init, which
// writes one byte and execs; the fifo then goes away, which is how later commands see "running".
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "common/fs.h"
#include "oci-spec/runtime_config.h"
#include "runtime/lifecycle/hooks.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"

namespace keel::runtime {
namespace {

// runtime.md: poststart hooks run after the user's process is executed. The init keeps its end
// of exec.fifo open (CLOEXEC) through its startContainer hooks until just before execve, so EOF
// here means it is exec'ing, or gone.
void wait_for_exec(int fifo) {
  char byte = 0;
  for (;;) {
    struct pollfd p {
      fifo, POLLIN, 0
    };
    if (::poll(&p, 1, -1) < 0 && errno != EINTR)
      return;
    const ssize_t got = ::read(fifo, &byte, 1);
    if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
      return;
  }
}

}  // namespace

Result<void> start_container(const StateStore& store, const std::string& id) {
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  const Status status = dir->status(*record);
  if (status != Status::kCreated)
    return Error::of(Errc::kFailedPrecondition, "cannot start container \"" + id + "\" in state " +
                                                    status_name(status) + ": it must be created");

  // O_NONBLOCK: should the init be gone, open must not wait for a writer that never comes.
  auto fifo = fs::open(dir->fifo_path(), O_RDONLY | O_NONBLOCK);
  if (!fifo)
    return fifo.error();
  char byte = 0;
  for (;;) {
    struct pollfd p {
      fifo->get(), POLLIN, 0
    };
    const int n = ::poll(&p, 1, 100);
    if (n < 0 && errno != EINTR)
      return Error::sys("wait on exec fifo");
    const ssize_t got = ::read(fifo->get(), &byte, 1);
    if (got == 1)
      break;
    if (got == 0 || process_start_time(record->pid) != record->pid_start_time)
      return Error::of(Errc::kFailedPrecondition,
                       "container \"" + id + "\" init exited before start");
    if (errno != EAGAIN && errno != EINTR)
      return Error::sys("read exec fifo");
  }
  if (::unlink(dir->fifo_path().c_str()) != 0)
    return Error::sys("remove exec fifo");

  if (record->has_hooks) {
    auto config = load_saved_config(*dir);
    if (config && config->hooks && !config->hooks->poststart.empty()) {
      wait_for_exec(fifo->get());
      // runtime.md: a poststart failure is only a warning; the container keeps running.
      if (auto r = run_hooks(config->hooks->poststart, "poststart",
                             state_document(*record, Status::kRunning));
          !r)
        warn(r.error());
    }
  }
  return {};
}

}  // namespace keel::runtime
