// keel.v1.Images: the gRPC adapter of images::ImageService. Streams become ReadFns and pipes;
// everything else is the core's.
#pragma once

#include "keel/v1/images.grpc.pb.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_service.h"

namespace keel::manager::server {

// The proto form of an image.
[[nodiscard]] keel::v1::Image to_proto(const images::Image& image);

class ImagesService final : public keel::v1::Images::Service {
 public:
  ImagesService(images::ImageService& images, events::EventBus& bus) : images_(images), bus_(bus) {}

  grpc::Status List(grpc::ServerContext*, const keel::v1::ListImagesRequest* request,
                    keel::v1::ListImagesResponse* response) override;
  grpc::Status Get(grpc::ServerContext*, const keel::v1::GetImageRequest* request,
                   keel::v1::Image* response) override;
  grpc::Status Tag(grpc::ServerContext*, const keel::v1::TagImageRequest* request,
                   keel::v1::Image* response) override;
  grpc::Status Remove(grpc::ServerContext*, const keel::v1::RemoveImageRequest* request,
                      keel::v1::RemoveImageResponse* response) override;
  grpc::Status History(grpc::ServerContext*, const keel::v1::GetImageRequest* request,
                       keel::v1::HistoryResponse* response) override;
  grpc::Status Import(grpc::ServerContext*, grpc::ServerReader<keel::v1::ImportRequest>* reader,
                      keel::v1::Image* response) override;
  grpc::Status Load(grpc::ServerContext*, grpc::ServerReader<keel::v1::Chunk>* reader,
                    keel::v1::LoadResponse* response) override;
  grpc::Status Save(grpc::ServerContext* context, const keel::v1::SaveRequest* request,
                    grpc::ServerWriter<keel::v1::Chunk>* writer) override;
  grpc::Status Prune(grpc::ServerContext*, const keel::v1::PruneRequest* request,
                     keel::v1::PruneResponse* response) override;
  grpc::Status Pull(grpc::ServerContext* context, const keel::v1::PullRequest* request,
                    grpc::ServerWriter<keel::v1::PullProgress>* writer) override;
  grpc::Status Push(grpc::ServerContext* context, const keel::v1::PushRequest* request,
                    grpc::ServerWriter<keel::v1::PushProgress>* writer) override;

 private:
  void publish(const std::string& action, const std::string& id, const std::string& name);

  images::ImageService& images_;
  events::EventBus& bus_;
};

}  // namespace keel::manager::server
