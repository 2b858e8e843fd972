// Logins: check, then keep; or forget.
#include "manager/registry/logins.h"

#include "manager/registry/credentials.h"

namespace keel::manager::registry {

Result<std::string> Logins::login(std::string_view server, const std::string& username,
                                  const std::string& password) {
  const std::string domain = registry_domain(server);
  if (username.empty())
    return Error::of(Errc::kInvalidArgument, "login " + domain + ": a username is required");
  if (password.empty())
    return Error::of(Errc::kInvalidArgument, "login " + domain + ": a password is required");
  if (credentials_path_.empty())
    return Error::of(Errc::kFailedPrecondition,
                     "login " + domain + ": keeld has no place to keep credentials");
  Credential credential{.username = username, .password = password, .identity_token = {}};
  RegistryClient client(resolve_endpoint(domain, hosts_), credential);
  if (auto checked = client.check_login(); !checked)
    return std::move(checked).error().context("login");  // the error names the registry

  const std::lock_guard lock(write_mutex_);
  auto store = CredentialStore::load(credentials_path_);
  if (!store)
    return std::move(store).error();
  store->set(domain, credential);
  KEEL_TRY(store->save());
  return credential_key(domain);
}

Result<bool> Logins::logout(std::string_view server) {
  const std::string domain = registry_domain(server);
  if (credentials_path_.empty())
    return false;
  const std::lock_guard lock(write_mutex_);
  auto store = CredentialStore::load(credentials_path_);
  if (!store)
    return std::move(store).error();
  if (!store->erase(domain))
    return false;
  KEEL_TRY(store->save());
  return true;
}

Result<std::unique_ptr<RegistryClient>> Logins::client_for(std::string_view domain) const {
  std::optional<Credential> credential;
  if (!credentials_path_.empty()) {
    auto store = CredentialStore::load(credentials_path_);
    if (!store)
      return std::move(store).error();
    credential = store->find(domain);
  }
  return std::make_unique<RegistryClient>(resolve_endpoint(domain, hosts_), std::move(credential));
}

}  // namespace keel::manager::registry
