// A container's attachment to a network as keeld keeps it in the container's record: enough to
// run CNI DEL (network, namespace, interface, the ADD's result as prevResult, the published
// ports as runtimeConfig) after keeld crashed or the host rebooted, and what inspect shows.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "manager/network/port_mapping.h"

namespace keel::manager::network {

struct Attachment {
  std::string network;  // name
  std::string network_id;
  std::string netns;  // the bound namespace path
  std::string ifname = "eth0";
  // The names published for it on a network that resolves names (DEL removes them by name).
  std::string name;
  std::vector<std::string> aliases;
  std::vector<PortMapping> ports;  // host ports resolved (no 0 left)
  nlohmann::json result;           // the CNI ADD result
  // The types of the plugins the ADD ran, in order, for a DEL of the same ones. Empty in a
  // record from before keeld chose them per container: its DEL runs the whole list.
  std::vector<std::string> plugins;

  // From the result: "172.30.0.5", 16, "172.30.0.1", "aa:bb:..." (empty when unknown).
  [[nodiscard]] std::string ip_address() const;
  [[nodiscard]] int prefix_length() const;
  [[nodiscard]] std::string gateway() const;
  [[nodiscard]] std::string mac_address() const;
};

[[nodiscard]] nlohmann::json to_json(const Attachment& attachment);
[[nodiscard]] Result<Attachment> attachment_from_json(const nlohmann::json& json);

}  // namespace keel::manager::network
