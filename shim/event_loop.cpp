// EventLoop: epoll_wait, dispatch by fd and generation, and timers kept in a small ordered map.
#include "shim/event_loop.h"

#include <sys/epoll.h>

#include <array>
#include <climits>
#include <ctime>
#include <vector>

namespace keel::shim {

std::int64_t monotonic_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Result<EventLoop> EventLoop::create() {
  EventLoop loop;
  loop.epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!loop.epoll_.valid())
    return Error::sys("epoll_create1");
  return loop;
}

Result<void> EventLoop::add(int fd, std::uint32_t events, Callback callback) {
  const std::uint32_t generation = next_generation_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = (static_cast<std::uint64_t>(generation) << 32) | static_cast<std::uint32_t>(fd);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    return Error::sys("epoll_ctl add fd " + std::to_string(fd));
  entries_[fd] = Entry{generation, std::make_shared<Callback>(std::move(callback))};
  return {};
}

Result<void> EventLoop::modify(int fd, std::uint32_t events) {
  auto it = entries_.find(fd);
  if (it == entries_.end())
    return Error::of(Errc::kNotFound, "fd " + std::to_string(fd) + " is not watched");
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 =
      (static_cast<std::uint64_t>(it->second.generation) << 32) | static_cast<std::uint32_t>(fd);
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    return Error::sys("epoll_ctl mod fd " + std::to_string(fd));
  return {};
}

void EventLoop::remove(int fd) {
  if (entries_.erase(fd) != 0)
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::add_timer(std::int64_t after_ms, std::function<void()> callback) {
  const TimerId id = next_timer_++;
  timers_[id] = Timer{monotonic_ms() + after_ms, std::move(callback)};
  return id;
}

void EventLoop::cancel_timer(TimerId id) {
  timers_.erase(id);
}

int EventLoop::next_timeout_ms(int cap_ms) const {
  if (timers_.empty())
    return cap_ms;
  std::int64_t due = INT64_MAX;
  for (const auto& [id, timer] : timers_)
    due = std::min(due, timer.due_ms);
  const std::int64_t wait = std::max<std::int64_t>(0, due - monotonic_ms());
  if (cap_ms >= 0 && wait > cap_ms)
    return cap_ms;
  return static_cast<int>(std::min<std::int64_t>(wait, INT_MAX));
}

void EventLoop::fire_timers() {
  const std::int64_t now = monotonic_ms();
  std::vector<TimerId> due;
  for (const auto& [id, timer] : timers_)
    if (timer.due_ms <= now)
      due.push_back(id);
  for (TimerId id : due) {
    auto it = timers_.find(id);
    if (it == timers_.end())
      continue;  // cancelled by an earlier timer in this batch
    auto callback = std::move(it->second.callback);
    timers_.erase(it);
    callback();
  }
}

Result<void> EventLoop::run_once(int timeout_ms) {
  std::array<epoll_event, 32> events{};
  const int n = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                             next_timeout_ms(timeout_ms));
  if (n < 0) {
    if (errno == EINTR)
      return {};
    return Error::sys("epoll_wait");
  }
  for (int i = 0; i < n; ++i) {
    const int fd = static_cast<int>(events[i].data.u64 & 0xffffffffU);
    const auto generation = static_cast<std::uint32_t>(events[i].data.u64 >> 32);
    auto it = entries_.find(fd);
    if (it == entries_.end() || it->second.generation != generation)
      continue;
    // Holding the callback keeps it alive even if it removes its own fd.
    auto callback = it->second.callback;
    (*callback)(events[i].events);
  }
  fire_timers();
  return {};
}

Result<void> EventLoop::run() {
  while (!stopped_)
    KEEL_TRY(run_once(-1));
  return {};
}

}  // namespace keel::shim
