#include "manager/network/network_events.h"

namespace keel::manager::network {

void publish_network_event(events::EventBus& bus, const std::string& action,
                           const std::string& network_id, const std::string& network_name,
                           const std::string& container_id) {
  events::Event event{.time = {},
                      .type = "network",
                      .action = action,
                      .id = network_id,
                      .attributes = {{"name", network_name}, {"type", "bridge"}}};
  if (!container_id.empty())
    event.attributes["container"] = container_id;
  bus.publish(std::move(event));
}

}  // namespace keel::manager::network
