// CNI 1.0 results and errors (SPEC.md "Success" and "Error" sections): what an ADD returns, parsed
// into what keeld needs (interfaces, IPs, routes, DNS) with the raw JSON kept for prevResult and
// for DEL after a restart; and a failed plugin turned into one line with its code, message,
// stderr and exit status.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace keel::manager::network {

struct CniInterface {
  std::string name;
  std::string mac;
  std::string sandbox;  // the netns path for interfaces inside the container; empty on the host
};

struct CniIp {
  std::string address;  // CIDR: "172.30.0.5/16"
  std::string gateway;
  std::optional<int> interface;  // index into interfaces
};

struct CniRoute {
  std::string dst;
  std::string gw;
};

struct CniDns {
  std::vector<std::string> nameservers;
  std::string domain;
  std::vector<std::string> search;
  std::vector<std::string> options;
};

struct CniResult {
  std::string cni_version;
  std::vector<CniInterface> interfaces;
  std::vector<CniIp> ips;
  std::vector<CniRoute> routes;
  CniDns dns;
  nlohmann::json raw;  // as the last plugin printed it

  // The first IP on an interface inside `sandbox` (or any IP when none says), "" when none.
  [[nodiscard]] const CniIp* container_ip(std::string_view sandbox) const;
  // The MAC of the interface an IP names, "" when unknown.
  [[nodiscard]] std::string mac_of(const CniIp& ip) const;
};

// kInternal when the text is not a CNI result ("not JSON", a field of the wrong type).
[[nodiscard]] Result<CniResult> parse_cni_result(std::string_view text);
[[nodiscard]] Result<CniResult> cni_result_from_json(const nlohmann::json& json);

// A plugin that exited non-zero: its error JSON on stdout (code, msg, details) when it printed
// one, else its stderr, with the exit status. Well-known codes (SPEC.md "Error codes") map to
// Errc: 11 "try again later" is kUnavailable, 4/7 bad configuration kInvalidArgument.
// One line: `CNI plugin "bridge" ADD: code 7: invalid subnet (details; stderr: ...; exit 1)`.
[[nodiscard]] Error cni_plugin_error(std::string_view plugin, std::string_view command,
                                     std::string_view out, std::string_view err, int exit_code);

}  // namespace keel::manager::network
