// keel.v1.Networks: the gRPC adapter of network::NetworkService.
#pragma once

#include "keel/v1/networks.grpc.pb.h"
#include "manager/containers/container_service.h"
#include "manager/network/network_service.h"

namespace keel::manager::server {

class NetworksService final : public keel::v1::Networks::Service {
 public:
  NetworksService(network::NetworkService& networks, containers::ContainerService& containers)
      : networks_(networks), containers_(containers) {}

  grpc::Status Create(grpc::ServerContext*, const keel::v1::CreateNetworkRequest* request,
                      keel::v1::Network* response) override;
  grpc::Status Get(grpc::ServerContext*, const keel::v1::NetworkRequest* request,
                   keel::v1::Network* response) override;
  grpc::Status List(grpc::ServerContext*, const keel::v1::ListNetworksRequest* request,
                    keel::v1::ListNetworksResponse* response) override;
  grpc::Status Remove(grpc::ServerContext*, const keel::v1::NetworkRequest* request,
                      keel::v1::Empty* response) override;
  grpc::Status Prune(grpc::ServerContext*, const keel::v1::PruneNetworksRequest* request,
                     keel::v1::PruneNetworksResponse* response) override;
  grpc::Status Connect(grpc::ServerContext*, const keel::v1::ConnectNetworkRequest* request,
                       keel::v1::Empty* response) override;
  grpc::Status Disconnect(grpc::ServerContext*, const keel::v1::DisconnectNetworkRequest* request,
                          keel::v1::Empty* response) override;

 private:
  [[nodiscard]] keel::v1::Network to_proto(const network::Network& network);

  network::NetworkService& networks_;
  containers::ContainerService& containers_;
};

}  // namespace keel::manager::server
