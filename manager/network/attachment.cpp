#include "manager/network/attachment.h"

#include "manager/network/cni_result.h"

namespace keel::manager::network {
namespace {

// The container-side IP of the result, if it has one.
std::optional<std::pair<CniIp, std::string>> container_ip(const Attachment& a) {
  auto result = cni_result_from_json(a.result);
  if (!result)
    return std::nullopt;
  const CniIp* ip = result->container_ip(a.netns);
  if (ip == nullptr)
    return std::nullopt;
  return std::pair{*ip, result->mac_of(*ip)};
}

}  // namespace

std::string Attachment::ip_address() const {
  auto ip = container_ip(*this);
  return ip ? ip->first.address.substr(0, ip->first.address.find('/')) : "";
}

int Attachment::prefix_length() const {
  auto ip = container_ip(*this);
  if (!ip)
    return 0;
  const auto slash = ip->first.address.find('/');
  return slash == std::string::npos ? 32 : std::stoi(ip->first.address.substr(slash + 1));
}

std::string Attachment::gateway() const {
  auto ip = container_ip(*this);
  return ip ? ip->first.gateway : "";
}

std::string Attachment::mac_address() const {
  auto ip = container_ip(*this);
  return ip ? ip->second : "";
}

nlohmann::json to_json(const Attachment& a) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& port : a.ports)
    ports.push_back(to_json(port));
  return {
      {"network", a.network}, {"networkID", a.network_id}, {"netns", a.netns}, {"ifname", a.ifname},
      {"name", a.name},       {"aliases", a.aliases},      {"ports", ports},   {"result", a.result},
      {"plugins", a.plugins}};
}

Result<Attachment> attachment_from_json(const nlohmann::json& json) {
  if (!json.is_object())
    return Error::of(Errc::kInternal, "network attachment: not an object");
  Attachment a;
  a.network = json.value("network", "");
  a.network_id = json.value("networkID", "");
  a.netns = json.value("netns", "");
  a.ifname = json.value("ifname", "eth0");
  a.name = json.value("name", "");
  if (auto it = json.find("aliases"); it != json.end() && it->is_array())
    for (const auto& alias : *it)
      if (alias.is_string())
        a.aliases.push_back(alias.get<std::string>());
  if (auto it = json.find("ports"); it != json.end() && it->is_array())
    for (const auto& port : *it) {
      auto parsed = port_mapping_from_json(port);
      if (!parsed)
        return std::move(parsed).error();
      a.ports.push_back(*parsed);
    }
  a.result = json.value("result", nlohmann::json());
  if (auto it = json.find("plugins"); it != json.end() && it->is_array())
    for (const auto& type : *it)
      if (type.is_string())
        a.plugins.push_back(type.get<std::string>());
  return a;
}

}  // namespace keel::manager::network
