#include "manager/containers/exit_monitor.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace keel::manager::containers {
namespace {

constexpr std::uint64_t kWakeToken = 0;

int as_timeout_ms(std::chrono::steady_clock::duration left) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
}

}  // namespace

Result<std::unique_ptr<ExitMonitor>> ExitMonitor::start(std::size_t workers) {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  if (epoll.get() < 0)
    return Error::sys("exit monitor: epoll_create1");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (wake.get() < 0)
    return Error::sys("exit monitor: eventfd");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeToken;
  if (::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, wake.get(), &event) != 0)
    return Error::sys("exit monitor: epoll_ctl");
  std::unique_ptr<ExitMonitor> monitor(new ExitMonitor(std::move(epoll), std::move(wake)));
  monitor->thread_ = std::thread([m = monitor.get()] { m->run(); });
  for (std::size_t i = 0; i < std::max<std::size_t>(workers, 1); ++i)
    monitor->workers_.emplace_back([m = monitor.get()] { m->run_callbacks(); });
  return monitor;
}

ExitMonitor::ExitMonitor(UniqueFd epoll, UniqueFd wake)
    : epoll_(std::move(epoll)), wake_(std::move(wake)) {}

ExitMonitor::~ExitMonitor() {
  stop();
}

void ExitMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    due_.clear();
  }
  wake();
  due_ready_.notify_all();
  if (thread_.joinable())
    thread_.join();
  for (auto& worker : workers_)
    if (worker.joinable())
      worker.join();
}

void ExitMonitor::wake() const {
  const std::uint64_t one = 1;
  // EAGAIN: the counter is already non-zero, the loop wakes anyway.
  (void)!::write(wake_.get(), &one, sizeof(one));
}

void ExitMonitor::expect(const std::string& key, int pid, pid_t shim_pid, Exited exited) {
  std::lock_guard lock(mutex_);
  if (auto old = expected_.find(key); old != expected_.end()) {
    key_of_token_.erase(old->second.token);
    expected_.erase(old);  // its pidfd closes, which takes it out of the epoll set
  }
  // An exit that came first: this one's when the pid matches (or either side has none).
  for (auto [it, end] = early_.equal_range(key); it != end; ++it) {
    if (pid != 0 && it->second.exit.pid != 0 && it->second.exit.pid != pid)
      continue;
    due_.push_back({std::move(exited), it->second.exit});
    early_.erase(it);
    due_ready_.notify_one();
    return;
  }
  Expected expected;
  expected.pid = pid;
  expected.exited = std::move(exited);
  expected.token = next_token_++;
  if (shim_pid > 0) {
    expected.shim_pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, shim_pid, 0)));
    if (expected.shim_pidfd.get() < 0) {
      // Already gone (ESRCH): it can only report what it sent before dying.
      expected.shim_died = std::chrono::steady_clock::now();
    } else {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = expected.token;
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, expected.shim_pidfd.get(), &event) != 0)
        spdlog::warn("exit monitor: watching shim {} of {}: {}", shim_pid, key,
                     std::strerror(errno));
    }
  }
  key_of_token_[expected.token] = key;
  expected_[key] = std::move(expected);
  wake();  // a deadline may have changed
}

void ExitMonitor::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  if (auto it = expected_.find(key); it != expected_.end()) {
    key_of_token_.erase(it->second.token);
    expected_.erase(it);
  }
}

void ExitMonitor::report(const std::string& key, const TaskExit& exit) {
  std::lock_guard lock(mutex_);
  auto it = expected_.find(key);
  if (it != expected_.end() &&
      (it->second.pid == 0 || exit.pid == 0 || it->second.pid == exit.pid)) {
    settle_locked(it, exit);
    return;
  }
  early_.emplace(key, EarlyExit{exit, std::chrono::steady_clock::now()});
}

void ExitMonitor::settle_locked(std::map<std::string, Expected>::iterator it,
                                Result<TaskExit> exit) {
  due_.push_back({std::move(it->second.exited), std::move(exit)});
  key_of_token_.erase(it->second.token);
  expected_.erase(it);
  due_ready_.notify_one();
}

int ExitMonitor::expire_locked(std::chrono::steady_clock::time_point now) {
  std::optional<std::chrono::steady_clock::time_point> next;
  const auto sooner = [&](std::chrono::steady_clock::time_point at) {
    if (!next || at < *next)
      next = at;
  };
  for (auto it = expected_.begin(); it != expected_.end();) {
    auto current = it++;
    if (!current->second.shim_died)
      continue;
    const auto deadline = *current->second.shim_died + kShimDeathGrace;
    if (now >= deadline)
      settle_locked(current, Error::of(Errc::kUnavailable,
                                       "the shim exited without reporting the task's exit"));
    else
      sooner(deadline);
  }
  for (auto it = early_.begin(); it != early_.end();) {
    if (now >= it->second.at + kEarlyExitKept) {
      it = early_.erase(it);
    } else {
      sooner(it->second.at + kEarlyExitKept);
      ++it;
    }
  }
  return next ? as_timeout_ms(*next - now) : -1;
}

void ExitMonitor::run() {
  std::array<epoll_event, 64> events{};
  int timeout_ms = -1;
  for (;;) {
    const int n =
        ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) {
      spdlog::error("exit monitor: epoll_wait: {}", std::strerror(errno));
      return;
    }
    {
      std::lock_guard lock(mutex_);
      if (stopping_)
        return;
      const auto now = std::chrono::steady_clock::now();
      for (int i = 0; i < n; ++i) {
        const std::uint64_t token = events[static_cast<std::size_t>(i)].data.u64;
        if (token == kWakeToken) {
          std::uint64_t count = 0;
          (void)!::read(wake_.get(), &count, sizeof(count));
          continue;
        }
        auto key = key_of_token_.find(token);
        if (key == key_of_token_.end())
          continue;
        auto it = expected_.find(key->second);
        if (it == expected_.end() || it->second.shim_died)
          continue;
        // The shim is gone. Its last report may still be in ShimEvents' hands: wait a little.
        it->second.shim_died = now;
        (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.shim_pidfd.get(), nullptr);
        it->second.shim_pidfd = UniqueFd();
      }
      timeout_ms = expire_locked(now);
    }
  }
}

void ExitMonitor::run_callbacks() {
  std::unique_lock lock(mutex_);
  for (;;) {
    due_ready_.wait(lock, [&] { return stopping_ || !due_.empty(); });
    if (stopping_)
      return;
    Due entry = std::move(due_.front());
    due_.pop_front();
    // Without the mutex: a callback takes keeld's locks and talks to shims.
    lock.unlock();
    entry.exited(std::move(entry.exit));
    lock.lock();
  }
}

}  // namespace keel::manager::containers
