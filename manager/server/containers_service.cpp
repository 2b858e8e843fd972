#include "manager/server/containers_service.h"

#include <thread>

#include "manager/containers/container_filter.h"
#include "manager/containers/log_reader.h"
#include "manager/containers/rootfs_archive.h"
#include "manager/server/chunk_stream.h"
#include "manager/server/container_convert.h"
#include "manager/server/images_service.h"
#include "manager/server/status.h"
#include "manager/snapshots/layer_stream.h"

namespace keel::manager::server {

using containers::Status;

Result<std::function<bool(const containers::ContainerRecord&)>> container_filter(
    const google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& filters) {
  std::vector<std::pair<std::string, std::string>> pairs;
  pairs.reserve(static_cast<std::size_t>(filters.size()));
  for (const auto& filter : filters)
    pairs.emplace_back(filter.key(), filter.value());
  return containers::container_filter(pairs);
}

grpc::Status ContainersService::Create(grpc::ServerContext*,
                                       const keel::v1::CreateContainerRequest* request,
                                       keel::v1::Container* response) {
  return guarded([&] {
    auto create = create_request(request->config());
    if (!create)
      return to_status(create.error());
    auto record = containers_.create(*create);
    if (!record)
      return to_status(record.error());
    // As a listed container: a client that wants the spec inspects (docker's create answers
    // with the id alone), and the reply of every `run` stays a fifth of the size.
    record->spec_json.clear();
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Get(grpc::ServerContext*, const keel::v1::ContainerRequest* request,
                                    keel::v1::Container* response) {
  return guarded([&] {
    auto record = containers_.inspect(request->id());
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::List(grpc::ServerContext*,
                                     const keel::v1::ListContainersRequest* request,
                                     keel::v1::ListContainersResponse* response) {
  return guarded([&] {
    auto filter = container_filter(request->filters());
    if (!filter)
      return to_status(filter.error());
    auto all = containers_.list();
    if (!all)
      return to_status(all.error());
    const auto now = std::chrono::system_clock::now();
    // docker ps: newest first; without -a only running (and paused, restarting) ones.
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
      const Status s = it->state.status;
      const bool up = s == Status::kRunning || s == Status::kPaused || s == Status::kRestarting;
      if (!request->all() && !up)
        continue;
      if ((*filter)(*it))
        *response->add_containers() = to_proto(*it, now);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Rename(grpc::ServerContext*,
                                       const keel::v1::RenameContainerRequest* request,
                                       keel::v1::Container* response) {
  return guarded([&] {
    auto record = containers_.rename(request->id(), request->new_name());
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Update(grpc::ServerContext*,
                                       const keel::v1::UpdateContainerRequest* request,
                                       keel::v1::Container* response) {
  return guarded([&] {
    std::optional<containers::RestartPolicy> restart;
    if (request->has_restart_policy() && !request->restart_policy().name().empty()) {
      std::string text = request->restart_policy().name();
      if (request->restart_policy().maximum_retry_count() > 0)
        text += ":" + std::to_string(request->restart_policy().maximum_retry_count());
      auto parsed = containers::parse_restart_policy(text);
      if (!parsed)
        return to_status(parsed.error());
      restart = *parsed;
    }
    auto record = containers_.update(request->id(), request->resources().memory(),
                                     request->resources().milli_cpus(),
                                     request->resources().pids_limit(), restart);
    if (!record)
      return to_status(record.error());
    *response = to_proto(*record, std::chrono::system_clock::now());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Remove(grpc::ServerContext*,
                                       const keel::v1::RemoveContainerRequest* request,
                                       keel::v1::Empty*) {
  return guarded([&] {
    if (auto removed = containers_.remove(request->id(), request->force(), request->volumes());
        !removed)
      return to_status(removed.error());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Diff(grpc::ServerContext*,
                                     const keel::v1::ContainerRequest* request,
                                     keel::v1::DiffResponse* response) {
  return guarded([&] {
    auto changes = containers_.diff(request->id());
    if (!changes)
      return to_status(changes.error());
    for (const auto& change : *changes) {
      auto* out = response->add_changes();
      out->set_kind(std::string(1, change.kind));
      out->set_path(change.path);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Commit(grpc::ServerContext*,
                                       const keel::v1::CommitContainerRequest* request,
                                       keel::v1::Image* response) {
  return guarded([&] {
    const std::vector<std::string> changes(request->changes().begin(), request->changes().end());
    auto image = containers_.commit(request->id(), request->ref(), changes, request->message(),
                                    request->author(), request->pause());
    if (!image)
      return to_status(image.error());
    *response = server::to_proto(*image);
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Export(grpc::ServerContext* context,
                                       const keel::v1::ContainerRequest* request,
                                       grpc::ServerWriter<keel::v1::Chunk>* writer) {
  return guarded([&] {
    auto rootfs = containers_.rootfs(request->id());
    if (!rootfs)
      return to_status(rootfs.error());
    return stream_from(context, writer,
                       [&](int fd) { return containers::export_rootfs(*rootfs, fd); });
  });
}

grpc::Status ContainersService::CopyFrom(grpc::ServerContext* context,
                                         const keel::v1::CopyFromRequest* request,
                                         grpc::ServerWriter<keel::v1::Chunk>* writer) {
  return guarded([&] {
    auto rootfs = containers_.rootfs(request->id());
    if (!rootfs)
      return to_status(rootfs.error());
    // Refuse a missing path before any byte is sent, so the client sees a clean error.
    if (auto found = containers::find_in_rootfs(*rootfs, request->path(), request->id()); !found)
      return to_status(found.error());
    return stream_from(context, writer, [&](int fd) {
      return containers::tar_from_rootfs(*rootfs, request->path(), fd);
    });
  });
}

grpc::Status ContainersService::CopyTo(grpc::ServerContext*,
                                       grpc::ServerReader<keel::v1::CopyToRequest>* reader,
                                       keel::v1::Empty*) {
  return guarded([&] {
    keel::v1::CopyToRequest message;
    if (!reader->Read(&message) || !message.has_header())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "copy: the first message must be the header");
    const auto header = message.header();
    auto rootfs = containers_.rootfs(header.id());
    if (!rootfs)
      return to_status(rootfs.error());
    const snapshots::ReadFn read = message_reader<keel::v1::CopyToRequest>(reader);
    if (auto copied = containers::untar_into_rootfs(*rootfs, header.path(), header.id(), read);
        !copied)
      return to_status(copied.error());
    return grpc::Status::OK;
  });
}

grpc::Status ContainersService::Logs(grpc::ServerContext* context,
                                     const keel::v1::LogsRequest* request,
                                     grpc::ServerWriter<keel::v1::LogEntry>* writer) {
  return guarded([&] {
    auto record = containers_.get(request->id());
    if (!record)
      return to_status(record.error());
    containers::LogOptions options;
    options.show_stdout = request->stdout() || !request->stderr();
    options.show_stderr = request->stderr() || !request->stdout();
    if (request->tail() >= 0)
      options.tail = static_cast<std::size_t>(request->tail());
    auto ns = [](const google::protobuf::Timestamp& t) {
      return t.seconds() * 1'000'000'000 + t.nanos();
    };
    if (request->has_since())
      options.since_ns = ns(request->since());
    if (request->has_until())
      options.until_ns = ns(request->until());
    options.follow = request->follow();
    const std::string id = record->id;
    auto read = containers::read_log(
        record->log_path, options,
        [&](const containers::LogEntry& entry) {
          keel::v1::LogEntry out;
          out.mutable_time()->set_seconds(entry.time_ns / 1'000'000'000);
          out.mutable_time()->set_nanos(static_cast<int>(entry.time_ns % 1'000'000'000));
          out.set_stream(entry.stream == containers::LogStream::kStderr ? "stderr" : "stdout");
          out.set_line(entry.line);
          return !context->IsCancelled() && writer->Write(out);
        },
        [&] {
          if (context->IsCancelled())
            return false;
          auto current = containers_.get(id);
          return current && (current->state.status == containers::Status::kRunning ||
                             current->state.status == containers::Status::kPaused ||
                             current->state.status == containers::Status::kRestarting);
        });
    if (!read && read.error().kind() == Errc::kNotFound)
      return grpc::Status::OK;  // never started: no output yet
    if (!read)
      return to_status(read.error());
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
