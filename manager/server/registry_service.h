// keel.v1.Registry: the gRPC adapter of registry::Logins (docker login/logout) and of the tag
// list a `pull --all-tags` walks.
#pragma once

#include "keel/v1/registry.grpc.pb.h"
#include "manager/registry/logins.h"

namespace keel::manager::server {

class RegistryService final : public keel::v1::Registry::Service {
 public:
  explicit RegistryService(registry::Logins& logins) : logins_(logins) {}

  grpc::Status Login(grpc::ServerContext*, const keel::v1::LoginRequest* request,
                     keel::v1::LoginResponse* response) override;
  grpc::Status Logout(grpc::ServerContext*, const keel::v1::LogoutRequest* request,
                      keel::v1::LogoutResponse* response) override;
  grpc::Status ListTags(grpc::ServerContext*, const keel::v1::ListTagsRequest* request,
                        keel::v1::ListTagsResponse* response) override;

 private:
  registry::Logins& logins_;
};

}  // namespace keel::manager::server
