// WWW-Authenticate challenges as registries send them (RFC 7235 auth-param syntax; the
// distribution spec's token flow): `Bearer realm="https://auth.docker.io/token",
// service="registry.docker.io",scope="repository:library/busybox:pull"` or `Basic realm="x"`.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::registry {

struct AuthChallenge {
  std::string scheme;                         // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  // names lowercased, values unquoted

  [[nodiscard]] std::string param(const std::string& name) const {
    const auto it = params.find(name);
    return it == params.end() ? std::string() : it->second;
  }
};

// Every challenge in one header value, in order. kInvalidArgument naming the offset of what
// does not parse (an unterminated quote, a parameter without '=').
[[nodiscard]] Result<std::vector<AuthChallenge>> parse_auth_challenges(std::string_view header);

}  // namespace keel::manager::registry
