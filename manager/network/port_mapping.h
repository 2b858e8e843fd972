// Published ports: docker's -p syntax parsed into one mapping per port, and the text forms
// `docker port` and `docker ps` print.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/error.h"

namespace keel::manager::network {

struct PortMapping {
  std::string host_ip;          // empty: every host address (docker's 0.0.0.0)
  std::uint16_t host_port = 0;  // 0: a free port chosen when the container starts
  std::uint16_t container_port = 0;
  std::string protocol = "tcp";  // tcp, udp or sctp
  bool operator==(const PortMapping&) const = default;
};

// -p [hostIP:][hostPort:]containerPort[/protocol], ranges "8000-8002:80-82" of equal length.
// kInvalidArgument in docker's words for anything else.
[[nodiscard]] Result<std::vector<PortMapping>> parse_publish(std::string_view text);

// "80/tcp", the key docker's NetworkSettings.Ports and `docker port` use.
[[nodiscard]] std::string port_key(const PortMapping& mapping);
// "127.0.0.1:8080" or "0.0.0.0:8080", as `docker port` prints the host side.
[[nodiscard]] std::string host_side(const PortMapping& mapping);
// docker ps's PORTS cell: "127.0.0.1:8080->80/tcp, 0.0.0.0:53->53/udp".
[[nodiscard]] std::string ports_text(const std::vector<PortMapping>& mappings);

[[nodiscard]] nlohmann::json to_json(const PortMapping& mapping);
[[nodiscard]] Result<PortMapping> port_mapping_from_json(const nlohmann::json& json);

}  // namespace keel::manager::network
