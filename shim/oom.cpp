// OomWatcher: find the memory cgroup in /proc/<pid>/cgroup, arm the notification, count kills.
#include "shim/oom.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <sstream>

#include "common/fs.h"

namespace keel::shim {
namespace {

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";

// The memory cgroup directory of `pid`, and whether it is cgroup v2.
Result<std::pair<std::string, bool>> memory_cgroup(pid_t pid) {
  auto text = fs::read_file("/proc/" + std::to_string(pid) + "/cgroup");
  if (!text)
    return std::move(text).error();
  std::istringstream in(*text);
  std::string unified;
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':');
    const auto b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos)
      continue;
    const std::string controllers = "," + line.substr(a + 1, b - a - 1) + ",";
    const std::string path = line.substr(b + 1);
    if (controllers.find(",memory,") != std::string::npos)
      return std::make_pair(std::string(kCgroupRoot) + "/memory" + path, false);
    if (controllers == ",,")
      unified = path;
  }
  if (!unified.empty()) {
    const std::string dir = std::string(kCgroupRoot) + unified;
    if (fs::exists(dir + "/memory.events"))
      return std::make_pair(dir, true);
  }
  return Error::of(Errc::kNotFound, "no memory cgroup to watch for pid " + std::to_string(pid));
}

}  // namespace

std::uint64_t OomWatcher::oom_kills() const {
  auto text = fs::read_file(counter_file_);
  if (!text)
    return seen_;
  std::istringstream in(*text);
  std::string key;
  std::uint64_t value = 0;
  while (in >> key >> value)
    if (key == "oom_kill")
      return value;
  return seen_;
}

Result<std::unique_ptr<OomWatcher>> OomWatcher::watch(EventLoop& loop, pid_t pid,
                                                      std::function<void()> on_oom) {
  auto cgroup = memory_cgroup(pid);
  if (!cgroup)
    return std::move(cgroup).error();
  const auto& [dir, v2] = *cgroup;
  std::unique_ptr<OomWatcher> w(new OomWatcher(loop, std::move(on_oom)));
  w->v2_ = v2;
  if (v2) {
    w->counter_file_ = dir + "/memory.events";
    w->notify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!w->notify_.valid())
      return Error::sys("inotify_init1");
    if (::inotify_add_watch(w->notify_.get(), w->counter_file_.c_str(), IN_MODIFY) < 0)
      return Error::sys("inotify_add_watch \"" + w->counter_file_ + "\"");
  } else {
    w->counter_file_ = dir + "/memory.oom_control";
    w->notify_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!w->notify_.valid())
      return Error::sys("eventfd");
    auto control = fs::open(w->counter_file_, O_RDONLY | O_CLOEXEC);
    if (!control)
      return std::move(control).error();
    // The registration lives as long as the eventfd; the control fd may close right away.
    KEEL_TRY(fs::write_file(dir + "/cgroup.event_control", std::to_string(w->notify_.get()) + " " +
                                                               std::to_string(control->get())));
  }
  w->seen_ = w->oom_kills();
  OomWatcher* self = w.get();
  KEEL_TRY(loop.add(w->notify_.get(), EPOLLIN, [self](std::uint32_t) { self->on_event(); }));
  return w;
}

OomWatcher::~OomWatcher() {
  if (notify_.valid())
    loop_.remove(notify_.get());
}

void OomWatcher::check() {
  // A notification still pending is counted here, from the counter: drained, it fires no second
  // event for the same kill.
  drain();
  const std::uint64_t now = oom_kills();
  for (; seen_ < now; ++seen_)
    on_oom_();
}

void OomWatcher::drain() {
  std::array<char, 4096> buf;  // NOLINT(cppcoreguidelines-pro-type-member-init): read() fills it
  while (::read(notify_.get(), buf.data(), buf.size()) > 0) {
  }
}

void OomWatcher::on_event() {
  drain();
  if (!v2_) {
    // v1 signals when the cgroup hits its limit, possibly before oom_kill counts the kill;
    // a signal while the cgroup still exists is an OOM, one after removal is not.
    if (fs::exists(counter_file_)) {
      seen_ = std::max(seen_ + 1, oom_kills());
      on_oom_();
    }
    return;
  }
  const std::uint64_t now = oom_kills();
  for (; seen_ < now; ++seen_)
    on_oom_();
}

}  // namespace keel::shim
