// docker's network events on keeld's bus: `create` and `destroy` of a network, `connect` and
// `disconnect` of a container (by network connect/disconnect, and at each start and exit, as
// docker's daemon publishes them). Each names the network by id, with attributes name, type (the
// driver, "bridge") and, for connect and disconnect, container (the full container id).
// NetworkService publishes create and destroy itself; the container side connect and disconnect.
#pragma once

#include <string>

#include "manager/events/event_bus.h"

namespace keel::manager::network {

// "create", "destroy", "connect" or "disconnect"; `container_id` only for the last two.
void publish_network_event(events::EventBus& bus, const std::string& action,
                           const std::string& network_id, const std::string& network_name,
                           const std::string& container_id = "");

}  // namespace keel::manager::network
