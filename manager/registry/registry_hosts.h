// Where a registry domain is reached and how: docker.io is served at registry-1.docker.io. TLS
// first, always; a loopback host (127.0.0.0/8, ::1, localhost) or one listed as insecure may fall
// back to plain HTTP when the TLS attempt finds no TLS there, as docker tries https before http
// for them. A certificate that fails verification never falls back. Extra CAs and client
// certificates come from docker's certs.d layout under keeld's config directory
// (certs.d/<host:port>/ca.crt, client.cert, client.key).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "manager/registry/http_client.h"

namespace keel::manager::registry {

struct RegistryEndpoint {
  std::string domain;    // as in the reference: "docker.io", "localhost:5000"
  std::string base_url;  // "https://registry-1.docker.io", "https://127.0.0.1:5000"
  // base_url with http:// instead, tried when TLS finds no TLS server; empty: never.
  std::string plain_http_url;
  TlsFiles tls;
};

struct RegistryHostsConfig {
  std::string certs_dir;                         // <config>/certs.d; empty: none
  std::vector<std::string> insecure_registries;  // "insecure-registries": host[:port] or CIDR
};

// True for the hosts docker may talk plain HTTP to without being told: loopback names and
// addresses.
[[nodiscard]] bool is_loopback_host(std::string_view host_and_port);

[[nodiscard]] RegistryEndpoint resolve_endpoint(std::string_view domain,
                                                const RegistryHostsConfig& config);

}  // namespace keel::manager::registry
