#include "manager/network/port_mapping.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "manager/network/ipv4_net.h"

namespace keel::manager::network {
namespace {

Error invalid(std::string what) {
  return Error::of(Errc::kInvalidArgument, std::move(what));
}

struct PortRange {
  std::uint32_t first = 0;
  std::uint32_t last = 0;
  [[nodiscard]] std::uint32_t size() const { return last - first + 1; }
};

Result<std::uint32_t> parse_port(std::string_view text, std::string_view spec) {
  std::uint32_t port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port > 65535)
    return invalid("invalid port \"" + std::string(text) + "\" in \"" + std::string(spec) + "\"");
  return port;
}

Result<PortRange> parse_range(std::string_view text, std::string_view spec) {
  const auto dash = text.find('-');
  auto first = parse_port(text.substr(0, dash), spec);
  if (!first)
    return std::move(first).error();
  if (dash == std::string_view::npos)
    return PortRange{*first, *first};
  auto last = parse_port(text.substr(dash + 1), spec);
  if (!last)
    return std::move(last).error();
  if (*last < *first)
    return invalid("invalid port range \"" + std::string(text) + "\" in \"" + std::string(spec) +
                   "\"");
  return PortRange{*first, *last};
}

}  // namespace

Result<std::vector<PortMapping>> parse_publish(std::string_view text) {
  std::string_view rest = text;
  std::string protocol = "tcp";
  if (const auto slash = rest.rfind('/'); slash != std::string_view::npos) {
    protocol = std::string(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
    if (protocol != "tcp" && protocol != "udp" && protocol != "sctp")
      return invalid("invalid proto: " + protocol);
  }
  // From the right: containerPort, then hostPort, then hostIP (which has no colons: IPv4).
  std::string_view host_ip;
  std::string_view host_ports;
  std::string_view container_ports = rest;
  if (const auto last = rest.rfind(':'); last != std::string_view::npos) {
    container_ports = rest.substr(last + 1);
    const auto before = rest.substr(0, last);
    if (const auto first = before.rfind(':'); first != std::string_view::npos) {
      host_ip = before.substr(0, first);
      host_ports = before.substr(first + 1);
    } else {
      host_ports = before;
    }
  }
  if (container_ports.empty())
    return invalid("no port specified: " + std::string(text) + "<empty>");
  if (!host_ip.empty()) {
    if (auto ip = parse_ipv4(host_ip); !ip)
      return invalid("invalid IP address: " + std::string(host_ip));
  }
  auto container = parse_range(container_ports, text);
  if (!container)
    return std::move(container).error();
  if (container->first == 0)
    return invalid("invalid containerPort: 0");
  PortRange host{0, 0};
  if (!host_ports.empty()) {
    auto parsed = parse_range(host_ports, text);
    if (!parsed)
      return std::move(parsed).error();
    host = *parsed;
    if (host.size() != container->size())
      return invalid("Invalid ranges specified for container and host Ports: " +
                     std::string(container_ports) + " and " + std::string(host_ports));
  }
  std::vector<PortMapping> out;
  for (std::uint32_t i = 0; i < container->size(); ++i) {
    out.push_back(
        PortMapping{.host_ip = std::string(host_ip),
                    .host_port = static_cast<std::uint16_t>(host.first == 0 ? 0 : host.first + i),
                    .container_port = static_cast<std::uint16_t>(container->first + i),
                    .protocol = protocol});
  }
  return out;
}

std::string port_key(const PortMapping& mapping) {
  return std::to_string(mapping.container_port) + "/" + mapping.protocol;
}

std::string host_side(const PortMapping& mapping) {
  return (mapping.host_ip.empty() ? std::string("0.0.0.0") : mapping.host_ip) + ":" +
         std::to_string(mapping.host_port);
}

std::string ports_text(const std::vector<PortMapping>& mappings) {
  std::string out;
  for (const auto& mapping : mappings) {
    if (!out.empty())
      out += ", ";
    out += host_side(mapping) + "->" + port_key(mapping);
  }
  return out;
}

nlohmann::json to_json(const PortMapping& mapping) {
  return {{"hostIP", mapping.host_ip},
          {"hostPort", mapping.host_port},
          {"containerPort", mapping.container_port},
          {"protocol", mapping.protocol}};
}

Result<PortMapping> port_mapping_from_json(const nlohmann::json& json) {
  if (!json.is_object())
    return Error::of(Errc::kInternal, "port mapping: not an object");
  PortMapping m;
  m.host_ip = json.value("hostIP", "");
  m.host_port = json.value("hostPort", std::uint16_t{0});
  m.container_port = json.value("containerPort", std::uint16_t{0});
  m.protocol = json.value("protocol", "tcp");
  return m;
}

}  // namespace keel::manager::network
