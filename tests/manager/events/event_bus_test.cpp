#include "manager/events/event_bus.h"

#include <thread>

#include <gtest/gtest.h>

namespace keel::manager::events {
namespace {

using namespace std::chrono_literals;

Event make(std::string action, std::string id = "c1") {
  return Event{.time = {},
               .type = "container",
               .action = std::move(action),
               .id = std::move(id),
               .attributes = {}};
}

TEST(EventBus, DeliversNewEventsInOrderAndStampsTime) {
  EventBus bus;
  auto sub = bus.subscribe(nullptr);
  bus.publish(make("create"));
  bus.publish(make("start"));
  auto first = sub->next(100ms);
  auto second = sub->next(100ms);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->action, "create");
  EXPECT_EQ(second->action, "start");
  EXPECT_NE(first->time, Clock::time_point{});
  EXPECT_LE(first->time, second->time);
  EXPECT_FALSE(sub->next(10ms));
}

TEST(EventBus, FilterSelectsEvents) {
  EventBus bus;
  auto sub = bus.subscribe([](const Event& e) { return e.id == "c2"; });
  bus.publish(make("start", "c1"));
  bus.publish(make("die", "c2"));
  auto got = sub->next(100ms);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, "c2");
  EXPECT_FALSE(sub->next(10ms));
}

TEST(EventBus, SinceReplaysHistoryThenLive) {
  EventBus bus(2);
  const auto t0 = Clock::now() - 1h;
  Event old = make("create");
  old.time = t0 - 1h;
  bus.publish(old);
  Event kept = make("start");
  kept.time = t0 + 1s;
  bus.publish(kept);
  Event newest = make("die");
  newest.time = t0 + 2s;
  bus.publish(newest);  // history limit 2: "create" is gone
  auto sub = bus.subscribe(nullptr, t0);
  bus.publish(make("destroy"));
  std::vector<std::string> actions;
  while (auto e = sub->next(10ms))
    actions.push_back(e->action);
  EXPECT_EQ(actions, (std::vector<std::string>{"start", "die", "destroy"}));
}

TEST(EventBus, CloseWakesWaiter) {
  EventBus bus;
  auto sub = bus.subscribe(nullptr);
  std::thread closer([&] {
    std::this_thread::sleep_for(20ms);
    sub->close();
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub->next(10s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  closer.join();
}

TEST(EventBus, SlowSubscriberDropsOldest) {
  EventBus bus(16, 2);
  auto sub = bus.subscribe(nullptr);
  bus.publish(make("a"));
  bus.publish(make("b"));
  bus.publish(make("c"));
  EXPECT_EQ(sub->dropped(), 1u);
  EXPECT_EQ(sub->next(10ms)->action, "b");
}

TEST(EventBus, DestroyedSubscriptionNoLongerReceives) {
  EventBus bus;
  auto kept = bus.subscribe(nullptr);
  { auto gone = bus.subscribe(nullptr); }
  bus.publish(make("start"));  // must reach only the live subscription (ASan checks the other)
  ASSERT_TRUE(kept->next(100ms));
  EXPECT_FALSE(kept->next(10ms));
}

}  // namespace
}  // namespace keel::manager::events
