// keel.v1.Tasks: starting, signalling, waiting for and attaching to containers' processes. The
// stdio of attach and exec is relayed between the shim's fifos and the client's stream.
#pragma once

#include "keel/v1/tasks.grpc.pb.h"
#include "manager/containers/container_service.h"

namespace keel::manager::server {

class TasksService final : public keel::v1::Tasks::Service {
 public:
  explicit TasksService(containers::ContainerService& containers) : containers_(containers) {}

  grpc::Status Start(grpc::ServerContext*, const keel::v1::TaskRequest* request,
                     keel::v1::TaskStatus* response) override;
  grpc::Status Kill(grpc::ServerContext*, const keel::v1::KillRequest* request,
                    keel::v1::Empty* response) override;
  grpc::Status Stop(grpc::ServerContext*, const keel::v1::StopRequest* request,
                    keel::v1::TaskStatus* response) override;
  grpc::Status Restart(grpc::ServerContext*, const keel::v1::StopRequest* request,
                       keel::v1::TaskStatus* response) override;
  grpc::Status Pause(grpc::ServerContext*, const keel::v1::TaskRequest* request,
                     keel::v1::Empty* response) override;
  grpc::Status Resume(grpc::ServerContext*, const keel::v1::TaskRequest* request,
                      keel::v1::Empty* response) override;
  grpc::Status Wait(grpc::ServerContext* context, const keel::v1::TaskRequest* request,
                    keel::v1::TaskStatus* response) override;
  grpc::Status Exec(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<keel::v1::IoMessage, keel::v1::ExecRequest>* stream) override;
  grpc::Status Attach(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<keel::v1::IoMessage, keel::v1::AttachRequest>* stream) override;
  grpc::Status Top(grpc::ServerContext*, const keel::v1::TopRequest* request,
                   keel::v1::TopResponse* response) override;
  grpc::Status Stats(grpc::ServerContext* context, const keel::v1::StatsRequest* request,
                     grpc::ServerWriter<keel::v1::StatsSample>* writer) override;

 private:
  containers::ContainerService& containers_;
};

}  // namespace keel::manager::server
