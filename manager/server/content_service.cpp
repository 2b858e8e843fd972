#include "manager/server/content_service.h"

#include <unistd.h>

#include <vector>

#include "manager/server/status.h"

namespace keel::manager::server {
namespace {

void fill(const content::Info& info, keel::v1::ContentInfo& out) {
  out.set_digest(info.digest.str());
  out.set_size(static_cast<std::int64_t>(info.size));
  out.mutable_created_at()->set_seconds(info.created_at_ns / 1'000'000'000);
  out.mutable_created_at()->set_nanos(static_cast<int>(info.created_at_ns % 1'000'000'000));
  out.mutable_labels()->insert(info.labels.begin(), info.labels.end());
}

}  // namespace

grpc::Status ContentService::Info(grpc::ServerContext*, const keel::v1::ContentInfoRequest* request,
                                  keel::v1::ContentInfo* response) {
  return guarded([&] {
    auto digest = content::Digest::parse(request->digest());
    if (!digest)
      return to_status(digest.error());
    auto info = store_.info(*digest);
    if (!info)
      return to_status(info.error());
    fill(*info, *response);
    return grpc::Status::OK;
  });
}

grpc::Status ContentService::List(grpc::ServerContext*, const keel::v1::ListContentRequest*,
                                  keel::v1::ListContentResponse* response) {
  return guarded([&] {
    auto all = store_.list();
    if (!all)
      return to_status(all.error());
    for (const auto& info : *all)
      fill(info, *response->add_blobs());
    return grpc::Status::OK;
  });
}

grpc::Status ContentService::Read(grpc::ServerContext* context,
                                  const keel::v1::ReadContentRequest* request,
                                  grpc::ServerWriter<keel::v1::Chunk>* writer) {
  return guarded([&] {
    auto digest = content::Digest::parse(request->digest());
    if (!digest)
      return to_status(digest.error());
    auto fd = store_.open_blob(*digest);
    if (!fd)
      return to_status(fd.error());
    if (request->offset() < 0 || request->size() < 0)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "offset and size must be >= 0");
    off_t offset = request->offset();
    std::int64_t remaining = request->size() == 0 ? INT64_MAX : request->size();
    std::vector<char> buffer(1 << 20);
    keel::v1::Chunk chunk;
    while (remaining > 0 && !context->IsCancelled()) {
      const auto want = static_cast<std::size_t>(
          std::min<std::int64_t>(remaining, static_cast<std::int64_t>(buffer.size())));
      const ssize_t n = ::pread(fd->get(), buffer.data(), want, offset);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return to_status(Error::sys("reading " + digest->str()));
      if (n == 0)
        break;
      chunk.set_data(buffer.data(), static_cast<std::size_t>(n));
      if (!writer->Write(chunk))
        break;
      offset += n;
      remaining -= n;
    }
    return grpc::Status::OK;
  });
}

grpc::Status ContentService::Write(grpc::ServerContext*,
                                   grpc::ServerReader<keel::v1::WriteContentRequest>* reader,
                                   keel::v1::ContentInfo* response) {
  return guarded([&] {
    keel::v1::WriteContentRequest message;
    if (!reader->Read(&message) || !message.has_header())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "write: the first message must be the header");
    auto expected = content::Digest::parse(message.header().digest());
    if (!expected)
      return to_status(expected.error());
    const std::int64_t expected_size = message.header().size();
    content::Labels labels(message.header().labels().begin(), message.header().labels().end());
    auto writer = store_.writer();
    if (!writer)
      return to_status(writer.error());
    // The writer's destructor removes the ingest file on any early return.
    while (reader->Read(&message)) {
      if (auto written = writer->write(std::string_view(message.data())); !written)
        return to_status(written.error());
    }
    auto info = writer->commit(*expected, static_cast<std::uint64_t>(expected_size), labels);
    if (!info)
      return to_status(info.error());
    fill(*info, *response);
    return grpc::Status::OK;
  });
}

grpc::Status ContentService::Delete(grpc::ServerContext*,
                                    const keel::v1::DeleteContentRequest* request,
                                    keel::v1::Empty*) {
  return guarded([&] {
    auto digest = content::Digest::parse(request->digest());
    if (!digest)
      return to_status(digest.error());
    auto all = images_.list(true);
    if (!all)
      return to_status(all.error());
    for (const auto& image : *all) {
      bool used = image.target.digest == *digest || image.id == *digest;
      for (const auto& layer : image.layers)
        used = used || layer.digest == *digest;
      if (used)
        return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                            digest->str() + " is used by image " + image.id.str());
    }
    if (auto removed = store_.remove(*digest); !removed)
      return to_status(removed.error());
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
