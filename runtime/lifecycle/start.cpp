// start_container: runtime.md "start". Opening exec.fifo for reading releases the init, which
// writes one byte and execs; the fifo then goes away, which is how later commands see "running".
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "common/fs.h"
#include "oci-spec/runtime_config.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"
#include "runtime/process/hooks.h"

namespace keel::runtime {
namespace {

// The init keeps its end of exec.fifo open (close-on-exec) through its startContainer hooks until
// execve, and writes there whatever fails after it was released (process_start.h), so: EOF with
// nothing more means the user's process is exec'ing; any text is the init's last line.
Result<void> wait_for_exec(int fifo) {
  std::string said;
  char buf[512];
  for (;;) {
    struct pollfd p {
      fifo, POLLIN, 0
    };
    if (::poll(&p, 1, -1) < 0 && errno != EINTR)
      return Error::sys("wait on exec fifo");
    const ssize_t got = ::read(fifo, buf, sizeof buf);
    if (got > 0) {
      said.append(buf, static_cast<size_t>(got));
      continue;
    }
    if (got == 0)
      break;
    if (errno != EAGAIN && errno != EINTR)
      return Error::sys("read exec fifo");
  }
  while (!said.empty() && said.back() == '\n')
    said.pop_back();
  if (said.empty())
    return {};
  // The init's line is also meant for the container's stderr, prefixed there; ours has its own.
  constexpr std::string_view kPrefix = "keel: ";
  if (said.starts_with(kPrefix))
    said.erase(0, kPrefix.size());
  return Error::of(Errc::kFailedPrecondition, said);
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
    // EOF also means "no writer yet": create returns at kReady, a moment before the init opens
    // its end. Only an init that is gone ends the wait.
    if (process_start_time(record->pid) != record->pid_start_time)
      return Error::of(Errc::kFailedPrecondition,
                       "container \"" + id + "\" init exited before start");
    if (got < 0 && errno != EAGAIN && errno != EINTR)
      return Error::sys("read exec fifo");
  }
  if (::unlink(dir->fifo_path().c_str()) != 0)
    return Error::sys("remove exec fifo");
  // A container is started only once its process runs: a failed execve (or startContainer hook)
  // makes start fail with the init's own words.
  if (auto r = wait_for_exec(fifo->get()); !r)
    return std::move(r).error().context("start container \"" + id + "\"");

  if (record->has_hooks) {
    auto config = load_saved_config(*dir);
    if (config && config->hooks && !config->hooks->poststart.empty()) {
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
