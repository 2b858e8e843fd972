// resolve_endpoint and the loopback rule.
#include "manager/registry/registry_hosts.h"

#include <algorithm>

#include "common/fs.h"
#include "manager/registry/insecure_registries.h"

namespace keel::manager::registry {
namespace {

// "host:port" → "host"; "[::1]:5000" → "::1".
std::string_view host_part(std::string_view host_and_port) {
  if (host_and_port.starts_with('[')) {
    const auto close = host_and_port.find(']');
    return close == std::string_view::npos ? host_and_port : host_and_port.substr(1, close - 1);
  }
  const auto colon = host_and_port.rfind(':');
  if (colon != std::string_view::npos && host_and_port.find(':') == colon)
    return host_and_port.substr(0, colon);
  return host_and_port;
}

}  // namespace

bool is_loopback_host(std::string_view host_and_port) {
  const std::string_view host = host_part(host_and_port);
  if (host == "localhost" || host == "::1")
    return true;
  if (!host.starts_with("127."))
    return false;
  // 127.0.0.0/8 as a dotted quad, nothing else that merely starts with "127."
  int dots = 0;
  for (const char c : host) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots == 3;
}

RegistryEndpoint resolve_endpoint(std::string_view domain, const RegistryHostsConfig& config) {
  RegistryEndpoint e;
  e.domain = std::string(domain);
  const std::string host = domain == "docker.io" ? "registry-1.docker.io" : std::string(domain);
  const bool listed_insecure = is_listed_insecure(domain, config.insecure_registries);
  e.base_url = "https://" + host;
  if (listed_insecure || is_loopback_host(domain))
    e.plain_http_url = "http://" + host;
  // Listed as insecure by the administrator: docker accepts any certificate there. Loopback alone
  // does not turn verification off, so a test CA in certs.d means what it says.
  e.tls.skip_verify = listed_insecure;
  if (!config.certs_dir.empty()) {
    const std::string dir = config.certs_dir + "/" + std::string(domain);
    if (fs::exists(dir + "/ca.crt"))
      e.tls.ca_file = dir + "/ca.crt";
    if (fs::exists(dir + "/client.cert") && fs::exists(dir + "/client.key")) {
      e.tls.client_cert = dir + "/client.cert";
      e.tls.client_key = dir + "/client.key";
    }
  }
  return e;
}

}  // namespace keel::manager::registry
