// keeld's events: every service publishes what happened (container start, image delete...) and
// each `keelctl events` client holds a subscription. The last events are kept in memory so a
// subscriber can ask for the past (`--since`), as docker does; nothing is persisted.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace keel::manager::events {

using Clock = std::chrono::system_clock;

struct Event {
  Clock::time_point time;
  // "container", "image" or "network".
  std::string type;
  // "create", "start", "die", ...
  std::string action;
  // Container id, or image id/reference.
  std::string id;
  std::map<std::string, std::string> attributes;
};

class EventBus;

// One subscriber's queue. Events published after it was made arrive in order; a subscriber that
// falls more than max_pending behind loses the oldest and is told so by dropped().
class Subscription {
 public:
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // The next event, waiting up to timeout; nullopt on timeout or after close().
  std::optional<Event> next(std::chrono::milliseconds timeout);
  // Wakes a next() in progress and makes later ones return at once (client went away).
  void close();
  [[nodiscard]] std::size_t dropped() const;

 private:
  friend class EventBus;
  Subscription(EventBus& bus, std::function<bool(const Event&)> filter);
  void deliver(const Event& event);

  EventBus& bus_;
  std::function<bool(const Event&)> filter_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> pending_;
  std::size_t dropped_ = 0;
  bool closed_ = false;
};

class EventBus {
 public:
  explicit EventBus(std::size_t history = 1024, std::size_t max_pending = 4096);

  // Stamps the event with the current time if it has none, keeps it in the history, and hands it
  // to every subscriber whose filter accepts it.
  void publish(Event event);

  // A subscription that first receives the kept events at or after since (if set) that pass the
  // filter, then every new one.
  std::unique_ptr<Subscription> subscribe(std::function<bool(const Event&)> filter,
                                          std::optional<Clock::time_point> since = std::nullopt);

 private:
  friend class Subscription;
  void unsubscribe(Subscription* subscription);

  const std::size_t history_limit_;
  const std::size_t max_pending_;
  std::mutex mutex_;
  std::deque<Event> history_;
  std::vector<Subscription*> subscribers_;
};

}  // namespace keel::manager::events
