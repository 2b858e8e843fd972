// The shim's one epoll loop: fd readiness callbacks, one-shot timers, and a stop flag. No threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::shim {

class EventLoop {
 public:
  using Callback = std::function<void(std::uint32_t events)>;
  using TimerId = std::uint64_t;

  [[nodiscard]] static Result<EventLoop> create();
  EventLoop(EventLoop&&) noexcept = default;
  EventLoop& operator=(EventLoop&&) noexcept = default;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop() = default;

  // `events` are EPOLLIN/EPOLLOUT/...; the callback runs on each readiness until remove().
  [[nodiscard]] Result<void> add(int fd, std::uint32_t events, Callback callback);
  [[nodiscard]] Result<void> modify(int fd, std::uint32_t events);
  // Safe from inside any callback, including the fd's own.
  void remove(int fd);
  [[nodiscard]] bool watching(int fd) const { return entries_.count(fd) != 0; }

  TimerId add_timer(std::int64_t after_ms, std::function<void()> callback);
  void cancel_timer(TimerId id);

  // Runs until stop(); an epoll failure other than EINTR ends it with an error.
  [[nodiscard]] Result<void> run();
  // Runs one wait of at most `timeout_ms` and its callbacks (tests drive the loop with this).
  [[nodiscard]] Result<void> run_once(int timeout_ms);
  void stop() { stopped_ = true; }
  [[nodiscard]] bool stopped() const { return stopped_; }

 private:
  EventLoop() = default;
  struct Entry {
    std::uint32_t generation;
    std::shared_ptr<Callback> callback;
  };
  struct Timer {
    std::int64_t due_ms;
    std::function<void()> callback;
  };
  [[nodiscard]] int next_timeout_ms(int cap_ms) const;
  void fire_timers();

  UniqueFd epoll_;
  // The generation rides in epoll's data so an event for a removed fd (or a reused number
  // registered again in the same batch) is recognised and dropped.
  std::unordered_map<int, Entry> entries_;
  std::uint32_t next_generation_ = 1;
  std::map<TimerId, Timer> timers_;
  TimerId next_timer_ = 1;
  bool stopped_ = false;
};

// Milliseconds on CLOCK_MONOTONIC.
[[nodiscard]] std::int64_t monotonic_ms();

}  // namespace keel::shim
