// keel.v1.Events: streams the event bus to `keelctl events`, with docker's filters.
#pragma once

#include <functional>

#include "common/error.h"
#include "keel/v1/events.grpc.pb.h"
#include "manager/events/event_bus.h"

namespace keel::manager::server {

class EventsService final : public keel::v1::Events::Service {
 public:
  explicit EventsService(events::EventBus& bus) : bus_(bus) {}

  grpc::Status Subscribe(grpc::ServerContext* context, const keel::v1::SubscribeRequest* request,
                         grpc::ServerWriter<keel::v1::Event>* writer) override;

 private:
  events::EventBus& bus_;
};

// docker's event filters (type=, event=/action=, container=, image=, label=k[=v]); values of one
// key are alternatives, different keys must all match. INVALID_ARGUMENT names an unknown key.
[[nodiscard]] Result<std::function<bool(const events::Event&)>> event_filter(
    const google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& filters);

}  // namespace keel::manager::server
