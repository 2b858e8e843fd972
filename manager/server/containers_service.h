// keel.v1.Containers: the gRPC adapter of containers::ContainerService.
#pragma once

#include "keel/v1/containers.grpc.pb.h"
#include "manager/containers/container_service.h"
#include "manager/images/image_service.h"

namespace keel::manager::server {

class ContainersService final : public keel::v1::Containers::Service {
 public:
  explicit ContainersService(containers::ContainerService& containers) : containers_(containers) {}

  grpc::Status Create(grpc::ServerContext*, const keel::v1::CreateContainerRequest* request,
                      keel::v1::Container* response) override;
  grpc::Status Get(grpc::ServerContext*, const keel::v1::ContainerRequest* request,
                   keel::v1::Container* response) override;
  grpc::Status List(grpc::ServerContext*, const keel::v1::ListContainersRequest* request,
                    keel::v1::ListContainersResponse* response) override;
  grpc::Status Rename(grpc::ServerContext*, const keel::v1::RenameContainerRequest* request,
                      keel::v1::Container* response) override;
  grpc::Status Update(grpc::ServerContext*, const keel::v1::UpdateContainerRequest* request,
                      keel::v1::Container* response) override;
  grpc::Status Remove(grpc::ServerContext*, const keel::v1::RemoveContainerRequest* request,
                      keel::v1::Empty* response) override;
  grpc::Status Diff(grpc::ServerContext*, const keel::v1::ContainerRequest* request,
                    keel::v1::DiffResponse* response) override;
  grpc::Status Commit(grpc::ServerContext*, const keel::v1::CommitContainerRequest* request,
                      keel::v1::Image* response) override;
  grpc::Status Export(grpc::ServerContext* context, const keel::v1::ContainerRequest* request,
                      grpc::ServerWriter<keel::v1::Chunk>* writer) override;
  grpc::Status CopyFrom(grpc::ServerContext* context, const keel::v1::CopyFromRequest* request,
                        grpc::ServerWriter<keel::v1::Chunk>* writer) override;
  grpc::Status CopyTo(grpc::ServerContext*, grpc::ServerReader<keel::v1::CopyToRequest>* reader,
                      keel::v1::Empty* response) override;
  grpc::Status Logs(grpc::ServerContext* context, const keel::v1::LogsRequest* request,
                    grpc::ServerWriter<keel::v1::LogEntry>* writer) override;

 private:
  containers::ContainerService& containers_;
};

// docker ps --filter: id, name, label, status, ancestor, exited. kInvalidArgument for others.
[[nodiscard]] Result<std::function<bool(const containers::ContainerRecord&)>> container_filter(
    const google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& filters);

}  // namespace keel::manager::server
