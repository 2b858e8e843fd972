// docker's network events on keeld's bus: `create` and `destroy` of a network, `connect` and
// `disconnect` of a container (by network connect/disconnect, and at each start and exit, as
// docker's daemon publishes them). Each names the network by id, with attributes name, type (the
// driver, "bridge") and, for connect and disconnect, container (the full container id).
//
// The create, remove and prune wrappers publish what NetworkService did, so that every frontend
// calling them (keel.v1's Networks, a Docker API) shows the same events.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/events/event_bus.h"
#include "manager/network/network_service.h"

namespace keel::manager::network {

// "create", "destroy", "connect" or "disconnect"; `container_id` only for the last two.
void publish_network_event(events::EventBus& bus, const std::string& action,
                           const std::string& network_id, const std::string& network_name,
                           const std::string& container_id = "");

// NetworkService::create, then its create event.
[[nodiscard]] Result<Network> create_network(NetworkService& networks, events::EventBus& bus,
                                             const CreateNetworkRequest& request);
// NetworkService::remove, then its destroy event.
[[nodiscard]] Result<void> remove_network(NetworkService& networks, events::EventBus& bus,
                                          std::string_view id_or_name);
// NetworkService::prune, then a destroy event for each network it removed.
[[nodiscard]] Result<std::vector<std::string>> prune_networks(NetworkService& networks,
                                                              events::EventBus& bus);

}  // namespace keel::manager::network
