// delete_container: runtime.md "delete". A created container is killed (its init only waits on
// the fifo), a running one only with --force; then the cgroups and the state directory go, and
// poststop hooks run.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/unique_fd.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"
#include "runtime/lifecycle/lifecycle_internal.h"
#include "runtime/process/hooks.h"

namespace keel::runtime {
namespace {

// SIGKILL and wait (bounded) until the process is gone. A pidfd polls readable on exit even
// for a process that is not our child.
Result<void> kill_and_wait(const ContainerRecord& record) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, record.pid, 0));
  if (pidfd < 0)
    return {};  // already gone
  UniqueFd pid_fd(pidfd);
  if (process_start_time(record.pid) != record.pid_start_time)
    return {};
  // ESRCH if it exited since: the poll below sees the pidfd ready either way.
  (void)::syscall(SYS_pidfd_send_signal, pid_fd.get(), SIGKILL, nullptr, 0);
  struct pollfd p {
    pid_fd.get(), POLLIN, 0
  };
  int n = 0;
  do {
    n = ::poll(&p, 1, 10000);
  } while (n < 0 && errno == EINTR);
  if (n == 0)
    return Error::of(Errc::kUnavailable, "init pid " + std::to_string(record.pid) +
                                             " did not die within 10s of SIGKILL");
  return {};
}

}  // namespace

Result<void> delete_container(const StateStore& store, const std::string& id, bool force) {
  auto dir = store.open(id);
  // As runc's: --force makes deleting a container that is already gone a success, which the
  // runc shim's cleanup after an exit relies on.
  if (!dir && dir.error().kind() == Errc::kNotFound && force)
    return {};
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record) {
    // state.json is missing only when a create died half-way (killed): clean what is there.
    if (record.error().kind() == Errc::kFailedPrecondition && force)
      return dir->remove();
    return record.error();
  }
  const Status status = dir->status(*record);
  if ((status == Status::kRunning || status == Status::kPaused) && !force)
    return Error::of(
        Errc::kFailedPrecondition,
        "cannot delete container \"" + id + "\" that is not stopped: " + status_name(status));
  std::unique_ptr<cgroups::Manager> cgroup;
  if (!record->cgroup_paths.v1.empty() || !record->cgroup_paths.unified.empty()) {
    auto manager = cgroups::open_manager(record->cgroup_paths);
    if (!manager)
      return manager.error();
    cgroup = std::move(*manager);
  }
  if (status == Status::kPaused && cgroup) {
    // A frozen task acts on SIGKILL only once thawed: signal first, so nothing runs on.
    // ESRCH if it already exited: the cgroup is emptied and checked below either way.
    (void)::kill(record->pid, SIGKILL);
    // Best effort before destroy(), which reports a cgroup that stays busy.
    (void)cgroup->thaw();
  }
  if (status != Status::kStopped)
    KEEL_TRY(kill_and_wait(*record));
  if (cgroup)
    KEEL_TRY(cgroup->destroy());

  if (record->has_hooks) {
    auto config = load_saved_config(*dir);
    if (config && config->hooks && !config->hooks->poststop.empty()) {
      // runtime.md: poststop failures are logged, delete still succeeds.
      if (auto r = run_hooks(config->hooks->poststop, "poststop",
                             state_document(*record, Status::kStopped));
          !r)
        warn(r.error());
    }
  }
  return dir->remove();
}

}  // namespace keel::runtime
