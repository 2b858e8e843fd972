// keel.v1.Snapshots: the overlay snapshotter over gRPC.
#pragma once

#include "keel/v1/snapshots.grpc.pb.h"
#include "manager/snapshots/snapshotter.h"

namespace keel::manager::server {

class SnapshotsService final : public keel::v1::Snapshots::Service {
 public:
  explicit SnapshotsService(snapshots::Snapshotter& snapshotter) : snapshotter_(snapshotter) {}

  grpc::Status List(grpc::ServerContext*, const keel::v1::ListSnapshotsRequest*,
                    keel::v1::ListSnapshotsResponse* response) override;
  grpc::Status Stat(grpc::ServerContext*, const keel::v1::SnapshotRequest* request,
                    keel::v1::SnapshotInfo* response) override;
  grpc::Status Usage(grpc::ServerContext*, const keel::v1::SnapshotRequest* request,
                     keel::v1::SnapshotUsage* response) override;
  grpc::Status Mounts(grpc::ServerContext*, const keel::v1::SnapshotRequest* request,
                      keel::v1::MountsResponse* response) override;
  grpc::Status Prepare(grpc::ServerContext*, const keel::v1::PrepareSnapshotRequest* request,
                       keel::v1::MountsResponse* response) override;
  grpc::Status View(grpc::ServerContext*, const keel::v1::PrepareSnapshotRequest* request,
                    keel::v1::MountsResponse* response) override;
  grpc::Status Commit(grpc::ServerContext*, const keel::v1::CommitSnapshotRequest* request,
                      keel::v1::Empty* response) override;
  grpc::Status Remove(grpc::ServerContext*, const keel::v1::SnapshotRequest* request,
                      keel::v1::Empty* response) override;

 private:
  snapshots::Snapshotter& snapshotter_;
};

}  // namespace keel::manager::server
