#include "manager/network/network_events.h"

#include <algorithm>

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

Result<Network> create_network(NetworkService& networks, events::EventBus& bus,
                               const CreateNetworkRequest& request) {
  auto made = networks.create(request);
  if (made)
    publish_network_event(bus, "create", made->id, made->name);
  return made;
}

Result<void> remove_network(NetworkService& networks, events::EventBus& bus,
                            std::string_view id_or_name) {
  auto found = networks.get(id_or_name);
  if (!found)
    return std::move(found).error();
  // By id: the name could be taken by a new network between the two calls.
  KEEL_TRY(networks.remove(found->id));
  publish_network_event(bus, "destroy", found->id, found->name);
  return {};
}

Result<std::vector<std::string>> prune_networks(NetworkService& networks, events::EventBus& bus) {
  // prune() names what it removed; their ids are read before they are gone.
  auto before = networks.list();
  if (!before)
    return std::move(before).error();
  auto removed = networks.prune();
  if (!removed)
    return removed;
  for (const auto& name : *removed) {
    auto it = std::find_if(before->begin(), before->end(),
                           [&](const Network& network) { return network.name == name; });
    if (it != before->end())
      publish_network_event(bus, "destroy", it->id, it->name);
  }
  return removed;
}

}  // namespace keel::manager::network
