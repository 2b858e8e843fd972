// docker's shape of a network event on keeld's bus.
#include "manager/network/network_events.h"

#include <gtest/gtest.h>

namespace keel::manager::network {
namespace {

using namespace std::chrono_literals;

TEST(NetworkEvents, ConnectNamesTheNetworkItsDriverAndTheContainer) {
  events::EventBus bus;
  auto subscription = bus.subscribe(nullptr);
  publish_network_event(bus, "connect", "net-id", "front", "container-id");
  auto event = subscription->next(100ms);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "network");
  EXPECT_EQ(event->action, "connect");
  EXPECT_EQ(event->id, "net-id");
  const std::map<std::string, std::string> expected = {
      {"name", "front"}, {"type", "bridge"}, {"container", "container-id"}};
  EXPECT_EQ(event->attributes, expected);
}

TEST(NetworkEvents, CreateHasNoContainer) {
  events::EventBus bus;
  auto subscription = bus.subscribe(nullptr);
  publish_network_event(bus, "create", "net-id", "front");
  auto event = subscription->next(100ms);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->action, "create");
  EXPECT_FALSE(event->attributes.contains("container"));
}

}  // namespace
}  // namespace keel::manager::network
