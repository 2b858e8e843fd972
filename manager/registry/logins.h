// docker login and logout for keeld: credentials are checked against the registry before they
// are kept, and kept in docker's config.json (credentials.h), so a registry session is the same
// whichever frontend asked. Also hands out clients carrying what was stored, for the calls that
// talk to a registry outside a pull (the tag list of `pull --all-tags`).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/error.h"
#include "manager/registry/registry_client.h"
#include "manager/registry/registry_hosts.h"

namespace keel::manager::registry {

class Logins {
 public:
  Logins(RegistryHostsConfig hosts, std::string credentials_path)
      : hosts_(std::move(hosts)), credentials_path_(std::move(credentials_path)) {}

  // Verifies user and password against `server` (GET /v2/; behind a bearer realm the token
  // server must issue a token for them) and only then stores them, replacing any earlier entry
  // for that registry and keeping every other. Returns the config.json key written. A refusal is
  // kPermissionDenied with the registry's words; no error ever holds the password.
  [[nodiscard]] Result<std::string> login(std::string_view server, const std::string& username,
                                          const std::string& password);

  // Forgets the registry's entry; false when there was none.
  [[nodiscard]] Result<bool> logout(std::string_view server);

  // A client for `domain` with its stored credentials (anonymous without).
  [[nodiscard]] Result<std::unique_ptr<RegistryClient>> client_for(std::string_view domain) const;

 private:
  RegistryHostsConfig hosts_;
  std::string credentials_path_;
  // Two logins at once would each rewrite config.json from what they read: one would be lost.
  std::mutex write_mutex_;
};

}  // namespace keel::manager::registry
