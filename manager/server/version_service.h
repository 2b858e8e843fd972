// keel.v1.Version: which keeld, API and runtime a client talks to.
#pragma once

#include <filesystem>

#include "keel/v1/version.grpc.pb.h"

namespace keel::manager::server {

class VersionService final : public keel::v1::Version::Service {
 public:
  explicit VersionService(std::filesystem::path runtime);

  grpc::Status Version(grpc::ServerContext* context, const keel::v1::VersionRequest* request,
                       keel::v1::VersionResponse* response) override;

 private:
  keel::v1::VersionResponse cached_;
};

}  // namespace keel::manager::server
