// keel.v1.Content: the content store's blobs over gRPC.
#pragma once

#include "keel/v1/content.grpc.pb.h"
#include "manager/content/store.h"
#include "manager/images/image_service.h"

namespace keel::manager::server {

class ContentService final : public keel::v1::Content::Service {
 public:
  ContentService(content::Store& store, images::ImageService& images)
      : store_(store), images_(images) {}

  grpc::Status Info(grpc::ServerContext*, const keel::v1::ContentInfoRequest* request,
                    keel::v1::ContentInfo* response) override;
  grpc::Status List(grpc::ServerContext*, const keel::v1::ListContentRequest* request,
                    keel::v1::ListContentResponse* response) override;
  grpc::Status Read(grpc::ServerContext* context, const keel::v1::ReadContentRequest* request,
                    grpc::ServerWriter<keel::v1::Chunk>* writer) override;
  grpc::Status Write(grpc::ServerContext*,
                     grpc::ServerReader<keel::v1::WriteContentRequest>* reader,
                     keel::v1::ContentInfo* response) override;
  grpc::Status Delete(grpc::ServerContext*, const keel::v1::DeleteContentRequest* request,
                      keel::v1::Empty* response) override;

 private:
  content::Store& store_;
  images::ImageService& images_;
};

}  // namespace keel::manager::server
