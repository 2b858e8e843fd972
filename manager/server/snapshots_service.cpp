#include "manager/server/snapshots_service.h"

#include "manager/server/status.h"

namespace keel::manager::server {
namespace {

keel::v1::SnapshotKind to_proto(snapshots::Kind kind) {
  switch (kind) {
    case snapshots::Kind::kActive:
      return keel::v1::SNAPSHOT_KIND_ACTIVE;
    case snapshots::Kind::kView:
      return keel::v1::SNAPSHOT_KIND_VIEW;
    case snapshots::Kind::kCommitted:
      return keel::v1::SNAPSHOT_KIND_COMMITTED;
  }
  return keel::v1::SNAPSHOT_KIND_UNSPECIFIED;
}

void fill(const snapshots::Info& info, keel::v1::SnapshotInfo& out) {
  out.set_name(info.name);
  out.set_parent(info.parent);
  out.set_kind(to_proto(info.kind));
  out.mutable_created_at()->set_seconds(info.created_unix_ns / 1'000'000'000);
  out.mutable_created_at()->set_nanos(static_cast<int>(info.created_unix_ns % 1'000'000'000));
  out.mutable_labels()->insert(info.labels.begin(), info.labels.end());
}

grpc::Status mounts_response(const Result<std::vector<snapshots::Mount>>& mounts,
                             keel::v1::MountsResponse& out) {
  if (!mounts)
    return to_status(mounts.error());
  for (const auto& mount : *mounts) {
    auto* m = out.add_mounts();
    m->set_type(mount.type);
    m->set_source(mount.source);
    for (const auto& option : mount.options)
      m->add_options(option);
  }
  return grpc::Status::OK;
}

}  // namespace

grpc::Status SnapshotsService::List(grpc::ServerContext*, const keel::v1::ListSnapshotsRequest*,
                                    keel::v1::ListSnapshotsResponse* response) {
  return guarded([&] {
    auto all = snapshotter_.list();
    if (!all)
      return to_status(all.error());
    for (const auto& info : *all)
      fill(info, *response->add_snapshots());
    return grpc::Status::OK;
  });
}

grpc::Status SnapshotsService::Stat(grpc::ServerContext*, const keel::v1::SnapshotRequest* request,
                                    keel::v1::SnapshotInfo* response) {
  return guarded([&] {
    auto info = snapshotter_.stat(request->key());
    if (!info)
      return to_status(info.error());
    fill(*info, *response);
    return grpc::Status::OK;
  });
}

grpc::Status SnapshotsService::Usage(grpc::ServerContext*, const keel::v1::SnapshotRequest* request,
                                     keel::v1::SnapshotUsage* response) {
  return guarded([&] {
    auto usage = snapshotter_.usage(request->key());
    if (!usage)
      return to_status(usage.error());
    response->set_size(usage->size_bytes);
    response->set_inodes(usage->inodes);
    return grpc::Status::OK;
  });
}

grpc::Status SnapshotsService::Mounts(grpc::ServerContext*,
                                      const keel::v1::SnapshotRequest* request,
                                      keel::v1::MountsResponse* response) {
  return guarded([&] { return mounts_response(snapshotter_.mounts(request->key()), *response); });
}

grpc::Status SnapshotsService::Prepare(grpc::ServerContext*,
                                       const keel::v1::PrepareSnapshotRequest* request,
                                       keel::v1::MountsResponse* response) {
  return guarded([&] {
    const snapshots::Labels labels(request->labels().begin(), request->labels().end());
    return mounts_response(snapshotter_.prepare(request->key(), request->parent(), labels),
                           *response);
  });
}

grpc::Status SnapshotsService::View(grpc::ServerContext*,
                                    const keel::v1::PrepareSnapshotRequest* request,
                                    keel::v1::MountsResponse* response) {
  return guarded([&] {
    const snapshots::Labels labels(request->labels().begin(), request->labels().end());
    return mounts_response(snapshotter_.view(request->key(), request->parent(), labels), *response);
  });
}

grpc::Status SnapshotsService::Commit(grpc::ServerContext*,
                                      const keel::v1::CommitSnapshotRequest* request,
                                      keel::v1::Empty*) {
  return guarded([&] {
    const snapshots::Labels labels(request->labels().begin(), request->labels().end());
    if (auto done = snapshotter_.commit(request->name(), request->key(), labels); !done)
      return to_status(done.error());
    return grpc::Status::OK;
  });
}

grpc::Status SnapshotsService::Remove(grpc::ServerContext*,
                                      const keel::v1::SnapshotRequest* request, keel::v1::Empty*) {
  return guarded([&] {
    if (auto done = snapshotter_.remove(request->key()); !done)
      return to_status(done.error());
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
