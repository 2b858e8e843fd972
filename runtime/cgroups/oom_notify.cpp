// open_oom_notifier: an fd that wakes a poller when the container's memory cgroup records an OOM,
// so `keel events` need not poll memory.oom_control or memory.events on a timer.
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/format.h>

#include "runtime/cgroups/cgroup_fs.h"
#include "runtime/cgroups/internal.h"
#include "runtime/cgroups/manager.h"

namespace keel::runtime::cgroups {
namespace {

// cgroup-v1/memory.rst "Memory thresholds"/"OOM Control": an eventfd registered on
// memory.oom_control through cgroup.event_control is signalled on every OOM in the cgroup, and
// once more when the cgroup is removed.
Result<UniqueFd> v1_oom_eventfd(const std::string& dir) {
  UniqueFd event(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event.valid())
    return Error::sys("eventfd");
  const std::string control = detail::join(dir, "memory.oom_control");
  // The kernel keeps the eventfd, not this fd: it may be closed once registered.
  UniqueFd oom_control(::open(control.c_str(), O_RDONLY | O_CLOEXEC));
  if (!oom_control.valid())
    return Error::sys(fmt::format("open \"{}\"", control));
  KEEL_TRY(detail::write_knob(dir, "cgroup.event_control",
                              fmt::format("{} {}", event.get(), oom_control.get())));
  return event;
}

// cgroup-v2.rst: memory.events "generates a file modified event" when a counter changes.
Result<UniqueFd> v2_memory_events_watch(const std::string& dir) {
  UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
  if (!watch.valid())
    return Error::sys("inotify_init1");
  const std::string events = detail::join(dir, "memory.events");
  if (::inotify_add_watch(watch.get(), events.c_str(), IN_MODIFY) < 0)
    return Error::sys(fmt::format("watch \"{}\"", events));
  return watch;
}

}  // namespace

Result<UniqueFd> open_oom_notifier(const Paths& paths) {
  if (const auto* dir = detail::v1_dir(paths, "memory"))
    return v1_oom_eventfd(*dir);
  if (paths.v1.empty() && !paths.unified.empty())
    return v2_memory_events_watch(paths.unified);
  return Error::of(Errc::kFailedPrecondition, "the memory cgroup hierarchy is not mounted");
}

void drain_oom_notifier(int fd) noexcept {
  char buf[4096];
  while (::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace keel::runtime::cgroups
