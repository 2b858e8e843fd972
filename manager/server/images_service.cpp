#include "manager/server/images_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "manager/registry/platform.h"
#include "manager/server/chunk_stream.h"
#include "manager/server/image_filter.h"
#include "manager/server/proto_time.h"
#include "manager/server/status.h"

namespace keel::manager::server {
namespace {

google::protobuf::Timestamp from_ns(std::int64_t ns) {
  google::protobuf::Timestamp out;
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return out;
}

// Writes data fully to fd; false when the reader went away.
bool write_fully(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

keel::v1::Image to_proto(const images::Image& image) {
  keel::v1::Image out;
  out.set_id(image.id.str());
  for (const auto& tag : image.repo_tags)
    out.add_repo_tags(tag);
  for (const auto& digest : image.repo_digests)
    out.add_repo_digests(digest);
  out.mutable_target()->set_media_type(image.target.media_type);
  out.mutable_target()->set_digest(image.target.digest.str());
  out.mutable_target()->set_size(image.target.size);
  out.set_size(image.size);
  *out.mutable_created() = from_ns(image.created_ns);
  out.set_architecture(image.config.architecture);
  out.set_os(image.config.os);
  out.set_author(image.config.author);
  out.set_config_json(image.config_json);
  for (const auto& diff_id : image.config.diff_ids)
    out.add_diff_ids(diff_id.str());
  return out;
}

void ImagesService::publish(const std::string& action, const std::string& id,
                            const std::string& name) {
  events::Event event{.time = {}, .type = "image", .action = action, .id = id, .attributes = {}};
  if (!name.empty())
    event.attributes["name"] = name;
  bus_.publish(std::move(event));
}

grpc::Status ImagesService::List(grpc::ServerContext*, const keel::v1::ListImagesRequest* request,
                                 keel::v1::ListImagesResponse* response) {
  return guarded([&] {
    std::vector<std::pair<std::string, std::string>> filters;
    for (const auto& kv : request->filters())
      filters.emplace_back(kv.key(), kv.value());
    auto predicate =
        image_filter(filters, [&](const std::string& ref) { return images_.get(ref); });
    if (!predicate)
      return to_status(predicate.error());
    // docker lists untagged images too; -a adds intermediate build images, which keel does not
    // make, so all changes nothing here.
    auto all = images_.list(true);
    if (!all)
      return to_status(all.error());
    for (const auto& image : *all) {
      if ((*predicate)(image))
        *response->add_images() = to_proto(image);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Get(grpc::ServerContext*, const keel::v1::GetImageRequest* request,
                                keel::v1::Image* response) {
  return guarded([&] {
    auto image = images_.get(request->ref());
    if (!image)
      return to_status(image.error());
    *response = to_proto(*image);
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Tag(grpc::ServerContext*, const keel::v1::TagImageRequest* request,
                                keel::v1::Image* response) {
  return guarded([&] {
    auto image = images_.tag(request->source(), request->target());
    if (!image)
      return to_status(image.error());
    *response = to_proto(*image);
    publish("tag", image->id.str(), request->target());
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Remove(grpc::ServerContext*,
                                   const keel::v1::RemoveImageRequest* request,
                                   keel::v1::RemoveImageResponse* response) {
  return guarded([&] {
    const std::vector<std::string> refs(request->refs().begin(), request->refs().end());
    auto removed = images_.remove(
        refs, images::RemoveOptions{.force = request->force(), .no_prune = request->no_prune()});
    if (!removed)
      return to_status(removed.error());
    for (const auto& name : removed->untagged) {
      response->add_untagged(name);
      publish("untag", name, name);
    }
    for (const auto& id : removed->deleted) {
      response->add_deleted(id);
      publish("delete", id, "");
    }
    response->set_space_reclaimed(removed->space_reclaimed);
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::History(grpc::ServerContext*, const keel::v1::GetImageRequest* request,
                                    keel::v1::HistoryResponse* response) {
  return guarded([&] {
    auto entries = images_.history(request->ref());
    if (!entries)
      return to_status(entries.error());
    for (const auto& entry : *entries) {
      auto* out = response->add_entries();
      out->set_id(entry.id);
      *out->mutable_created() = from_ns(entry.created_ns);
      out->set_created_by(entry.created_by);
      out->set_size(entry.size);
      out->set_comment(entry.comment);
      out->set_empty_layer(entry.empty_layer);
    }
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Import(grpc::ServerContext*,
                                   grpc::ServerReader<keel::v1::ImportRequest>* reader,
                                   keel::v1::Image* response) {
  return guarded([&] {
    keel::v1::ImportRequest message;
    if (!reader->Read(&message) || !message.has_header())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "import: the first message must be the header");
    images::ImportOptions options;
    options.ref = message.header().ref();
    options.changes.assign(message.header().changes().begin(), message.header().changes().end());
    options.message = message.header().message();
    // The core reads the tar straight from the client's messages: the upload is unpacked and
    // hashed as it arrives, never stored whole.
    const images::ReadFn read = message_reader<keel::v1::ImportRequest>(reader);
    auto image = images_.import_rootfs(read, options);
    if (!image)
      return to_status(image.error());
    *response = to_proto(*image);
    publish("import", image->id.str(), options.ref);
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Load(grpc::ServerContext*, grpc::ServerReader<keel::v1::Chunk>* reader,
                                 keel::v1::LoadResponse* response) {
  return guarded([&] {
    // load() reads an fd; a pipe fed by this thread's helper streams the upload into it.
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return to_status(Error::sys("pipe"));
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    std::thread feeder([&reader, write = std::move(write_end)]() mutable {
      keel::v1::Chunk chunk;
      while (reader->Read(&chunk))
        if (!write_fully(write.get(), chunk.data()))
          break;  // load() stopped reading: it failed, and says why
    });
    auto loaded = images_.load(read_end.get());
    read_end.reset();  // unblocks the feeder if load() stopped early
    feeder.join();
    if (!loaded)
      return to_status(loaded.error());
    for (const auto& line : loaded->loaded)
      response->add_loaded(line);
    for (const auto& image : loaded->images) {
      *response->add_images() = to_proto(image);
      publish("load", image.id.str(), image.repo_tags.empty() ? "" : image.repo_tags.front());
    }
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Save(grpc::ServerContext* context, const keel::v1::SaveRequest* request,
                                 grpc::ServerWriter<keel::v1::Chunk>* writer) {
  return guarded([&] {
    const std::vector<std::string> refs(request->refs().begin(), request->refs().end());
    const grpc::Status status =
        stream_from(context, writer, [&](int fd) { return images_.save(refs, fd); });
    if (status.ok())
      for (const auto& ref : refs)
        publish("save", ref, ref);
    return status;
  });
}

grpc::Status ImagesService::Pull(grpc::ServerContext* context, const keel::v1::PullRequest* request,
                                 grpc::ServerWriter<keel::v1::PullProgress>* writer) {
  return guarded([&] {
    images::PullOptions options;
    options.ref = request->ref();
    options.platform = registry::host_platform();
    if (!request->platform().empty()) {
      auto platform = registry::parse_platform(request->platform());
      if (!platform)
        return to_status(platform.error());
      options.platform = *platform;
    }
    auto image = images_.pull(options, [&](const images::PullProgress& p) {
      keel::v1::PullProgress line;
      line.set_id(p.id);
      line.set_status(p.status);
      line.set_current(p.current);
      line.set_total(p.total);
      return !context->IsCancelled() && writer->Write(line);
    });
    if (!image)
      return to_status(image.error());
    keel::v1::PullProgress last;
    *last.mutable_image() = to_proto(image->image);
    last.set_digest(image->digest.str());
    (void)writer->Write(last);  // a client gone by now has nothing left to hear
    publish("pull", image->image.id.str(), request->ref());
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Push(grpc::ServerContext* context, const keel::v1::PushRequest* request,
                                 grpc::ServerWriter<keel::v1::PushProgress>* writer) {
  return guarded([&] {
    auto pushed = images_.push({.ref = request->ref()}, [&](const images::PushProgress& p) {
      keel::v1::PushProgress line;
      line.set_id(p.id);
      line.set_status(p.status);
      line.set_current(p.current);
      line.set_total(p.total);
      return !context->IsCancelled() && writer->Write(line);
    });
    if (!pushed)
      return to_status(pushed.error());
    keel::v1::PushProgress last;
    last.mutable_pushed()->set_tag(pushed->tag);
    last.mutable_pushed()->set_digest(pushed->digest.str());
    last.mutable_pushed()->set_size(pushed->size);
    (void)writer->Write(last);  // a client gone by now has nothing left to hear
    publish("push", request->ref(), request->ref());  // docker names the event by the reference
    return grpc::Status::OK;
  });
}

grpc::Status ImagesService::Prune(grpc::ServerContext*, const keel::v1::PruneRequest* request,
                                  keel::v1::PruneResponse* response) {
  return guarded([&] {
    // Dangling images go (with -a: every image no container uses), then unreferenced content.
    auto all = images_.list(true);
    if (!all)
      return to_status(all.error());
    std::int64_t reclaimed = 0;
    for (const auto& image : *all) {
      if (!image.repo_tags.empty() && !request->all())
        continue;
      // By its names rather than its id: removal by id of a many-named image needs force, and
      // force would also remove an image a container uses.
      std::vector<std::string> refs(image.repo_tags.begin(), image.repo_tags.end());
      if (refs.empty())
        refs.push_back(image.id.str());
      auto removed = images_.remove(refs, images::RemoveOptions{.force = false, .no_prune = true});
      if (!removed)
        continue;  // in use by a container: kept, as docker keeps it
      for (const auto& name : removed->untagged)
        response->add_deleted("untagged: " + name);
      for (const auto& id : removed->deleted) {
        response->add_deleted("deleted: " + id);
        publish("delete", id, "");
      }
    }
    auto collected = images_.collect_garbage();
    if (!collected)
      return to_status(collected.error());
    reclaimed += collected->space_reclaimed;
    response->set_space_reclaimed(reclaimed);
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
