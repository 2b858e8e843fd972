#include "manager/events/event_bus.h"

#include <algorithm>

namespace keel::manager::events {

Subscription::Subscription(EventBus& bus, std::function<bool(const Event&)> filter)
    : bus_(bus), filter_(std::move(filter)) {}

Subscription::~Subscription() {
  bus_.unsubscribe(this);
}

std::optional<Event> Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  ready_.wait_for(lock, timeout, [this] { return closed_ || !pending_.empty(); });
  if (closed_ || pending_.empty())
    return std::nullopt;
  Event event = std::move(pending_.front());
  pending_.pop_front();
  return event;
}

void Subscription::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_all();
}

std::size_t Subscription::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void Subscription::deliver(const Event& event) {
  if (filter_ && !filter_(event))
    return;
  {
    std::lock_guard lock(mutex_);
    if (closed_)
      return;
    if (pending_.size() >= bus_.max_pending_) {
      pending_.pop_front();
      ++dropped_;
    }
    pending_.push_back(event);
  }
  ready_.notify_one();
}

EventBus::EventBus(std::size_t history, std::size_t max_pending)
    : history_limit_(history), max_pending_(max_pending) {}

void EventBus::publish(Event event) {
  if (event.time == Clock::time_point{})
    event.time = Clock::now();
  std::lock_guard lock(mutex_);
  history_.push_back(event);
  while (history_.size() > history_limit_)
    history_.pop_front();
  for (Subscription* subscriber : subscribers_)
    subscriber->deliver(event);
}

std::unique_ptr<Subscription> EventBus::subscribe(std::function<bool(const Event&)> filter,
                                                  std::optional<Clock::time_point> since) {
  // The constructor is private to keep subscriptions registered; make_unique cannot reach it.
  std::unique_ptr<Subscription> subscription(new Subscription(*this, std::move(filter)));
  std::lock_guard lock(mutex_);
  // Replaying under the bus lock means no event published meanwhile is missed or doubled.
  if (since) {
    for (const Event& event : history_)
      if (event.time >= *since)
        subscription->deliver(event);
  }
  subscribers_.push_back(subscription.get());
  return subscription;
}

void EventBus::unsubscribe(Subscription* subscription) {
  std::lock_guard lock(mutex_);
  std::erase(subscribers_, subscription);
}

}  // namespace keel::manager::events
