#include "manager/server/networks_service.h"

#include "manager/server/status.h"

namespace keel::manager::server {

keel::v1::Network NetworksService::to_proto(const network::Network& network) {
  keel::v1::Network out;
  out.set_id(network.id);
  out.set_name(network.name);
  out.set_driver(network.driver);
  out.set_subnet(network.subnet);
  out.set_gateway(network.gateway);
  out.set_internal(network.internal);
  out.mutable_labels()->insert(network.labels.begin(), network.labels.end());
  out.mutable_created()->set_seconds(network.created_ns / 1'000'000'000);
  out.mutable_created()->set_nanos(static_cast<int>(network.created_ns % 1'000'000'000));
  out.set_bridge(network.bridge);
  for (const auto& name : containers_.network_users(network))
    out.add_containers(name);
  return out;
}

grpc::Status NetworksService::Create(grpc::ServerContext*,
                                     const keel::v1::CreateNetworkRequest* request,
                                     keel::v1::Network* response) {
  return guarded([&] {
    network::CreateNetworkRequest create;
    create.name = request->name();
    create.driver = request->driver();
    create.subnet = request->subnet();
    create.gateway = request->gateway();
    create.internal = request->internal();
    create.labels.insert(request->labels().begin(), request->labels().end());
    auto made = networks_.create(create);
    if (!made)
      return to_status(made.error());
    *response = to_proto(*made);
    return grpc::Status::OK;
  });
}

grpc::Status NetworksService::Get(grpc::ServerContext*, const keel::v1::NetworkRequest* request,
                                  keel::v1::Network* response) {
  return guarded([&] {
    auto found = networks_.get(request->id());
    if (!found)
      return to_status(found.error());
    *response = to_proto(*found);
    return grpc::Status::OK;
  });
}

grpc::Status NetworksService::List(grpc::ServerContext*, const keel::v1::ListNetworksRequest*,
                                   keel::v1::ListNetworksResponse* response) {
  return guarded([&] {
    auto all = networks_.list();
    if (!all)
      return to_status(all.error());
    for (const auto& network : *all)
      *response->add_networks() = to_proto(network);
    return grpc::Status::OK;
  });
}

grpc::Status NetworksService::Remove(grpc::ServerContext*, const keel::v1::NetworkRequest* request,
                                     keel::v1::Empty*) {
  return guarded([&] {
    auto removed = networks_.remove(request->id());
    return removed ? grpc::Status::OK : to_status(removed.error());
  });
}

grpc::Status NetworksService::Prune(grpc::ServerContext*, const keel::v1::PruneNetworksRequest*,
                                    keel::v1::PruneNetworksResponse* response) {
  return guarded([&] {
    auto removed = networks_.prune();
    if (!removed)
      return to_status(removed.error());
    for (const auto& name : *removed)
      response->add_removed(name);
    return grpc::Status::OK;
  });
}

grpc::Status NetworksService::Connect(grpc::ServerContext*,
                                      const keel::v1::ConnectNetworkRequest* request,
                                      keel::v1::Empty*) {
  return guarded([&] {
    const std::vector<std::string> aliases(request->aliases().begin(), request->aliases().end());
    auto connected =
        containers_.connect(request->container(), request->network(), aliases, request->ip());
    return connected ? grpc::Status::OK : to_status(connected.error());
  });
}

grpc::Status NetworksService::Disconnect(grpc::ServerContext*,
                                         const keel::v1::DisconnectNetworkRequest* request,
                                         keel::v1::Empty*) {
  return guarded([&] {
    auto disconnected =
        containers_.disconnect(request->container(), request->network(), request->force());
    return disconnected ? grpc::Status::OK : to_status(disconnected.error());
  });
}

}  // namespace keel::manager::server
