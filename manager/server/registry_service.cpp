#include "manager/server/registry_service.h"

#include <spdlog/spdlog.h>

#include "manager/images/reference.h"
#include "manager/registry/credentials.h"
#include "manager/server/status.h"

namespace keel::manager::server {

grpc::Status RegistryService::Login(grpc::ServerContext*, const keel::v1::LoginRequest* request,
                                    keel::v1::LoginResponse* response) {
  auto key = logins_.login(request->server(), request->username(), request->password());
  if (!key) {
    // The user name is no secret and says whose login failed; the password never appears.
    spdlog::info("login to {} as {} refused: {}", registry::registry_domain(request->server()),
                 request->username(), key.error().message());
    return to_status(key.error());
  }
  spdlog::info("login to {} as {}: credentials stored", *key, request->username());
  response->set_status("Login Succeeded");
  response->set_server(*key);
  return grpc::Status::OK;
}

grpc::Status RegistryService::Logout(grpc::ServerContext*, const keel::v1::LogoutRequest* request,
                                     keel::v1::LogoutResponse* response) {
  const std::string domain = registry::registry_domain(request->server());
  const std::string key = registry::credential_key(domain);
  auto removed = logins_.logout(request->server());
  if (!removed)
    return to_status(removed.error());
  response->set_status(*removed ? "Removing login credentials for " + key
                                : "Not logged in to " + key);
  return grpc::Status::OK;
}

grpc::Status RegistryService::ListTags(grpc::ServerContext*,
                                       const keel::v1::ListTagsRequest* request,
                                       keel::v1::ListTagsResponse* response) {
  auto ref = images::parse_reference(request->repository());
  if (!ref)
    return to_status(ref.error());
  auto client = logins_.client_for(ref->domain);
  if (!client)
    return to_status(client.error());
  auto tags = (*client)->list_tags(ref->path);
  if (!tags)
    return to_status(std::move(tags).error().context("tags of " + ref->name()));
  response->set_name(ref->name());
  for (auto& tag : *tags)
    response->add_tags(std::move(tag));
  return grpc::Status::OK;
}

}  // namespace keel::manager::server
