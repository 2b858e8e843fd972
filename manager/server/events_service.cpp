#include "manager/server/events_service.h"

#include <map>
#include <set>

#include "manager/server/proto_time.h"
#include "manager/server/status.h"

namespace keel::manager::server {
namespace {

bool label_matches(const events::Event& event, const std::string& wanted) {
  const auto eq = wanted.find('=');
  const std::string key = wanted.substr(0, eq);
  const auto it = event.attributes.find(key);
  if (it == event.attributes.end())
    return false;
  return eq == std::string::npos || it->second == wanted.substr(eq + 1);
}

bool key_matches(const events::Event& event, const std::string& key, const std::string& value) {
  if (key == "type")
    return event.type == value;
  if (key == "event" || key == "action")
    return event.action == value;
  if (key == "container")
    return event.type == "container" &&
           (event.id == value || event.id.starts_with(value) ||
            (event.attributes.contains("name") && event.attributes.at("name") == value));
  if (key == "network")
    return event.type == "network" &&
           (event.id == value || event.id.starts_with(value) ||
            (event.attributes.contains("name") && event.attributes.at("name") == value));
  if (key == "image") {
    if (event.type == "image")
      return event.id == value || event.id.starts_with(value);
    return event.attributes.contains("image") && event.attributes.at("image") == value;
  }
  return label_matches(event, value);  // key == "label"
}

}  // namespace

Result<std::function<bool(const events::Event&)>> event_filter(
    const google::protobuf::RepeatedPtrField<keel::v1::KeyValue>& filters) {
  static const std::set<std::string> kKnown = {"type",  "event", "action", "container",
                                               "image", "label", "network"};
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& filter : filters) {
    if (!kKnown.contains(filter.key()))
      return Error::of(Errc::kInvalidArgument, "invalid filter '" + filter.key() +
                                                   "': known filters are type, event, " +
                                                   "container, image, network, label");
    by_key[filter.key()].push_back(filter.value());
  }
  if (by_key.empty())
    return std::function<bool(const events::Event&)>{};
  return std::function<bool(const events::Event&)>(
      [by_key = std::move(by_key)](const events::Event& event) {
        for (const auto& [key, values] : by_key) {
          bool any = false;
          for (const auto& value : values)
            any = any || key_matches(event, key, value);
          if (!any)
            return false;
        }
        return true;
      });
}

grpc::Status EventsService::Subscribe(grpc::ServerContext* context,
                                      const keel::v1::SubscribeRequest* request,
                                      grpc::ServerWriter<keel::v1::Event>* writer) {
  return guarded([&] {
    auto filter = event_filter(request->filters());
    if (!filter)
      return to_status(filter.error());
    std::optional<events::Clock::time_point> since;
    std::optional<events::Clock::time_point> until;
    if (request->range().has_since())
      since = from_proto(request->range().since());
    if (request->range().has_until())
      until = from_proto(request->range().until());
    auto subscription = bus_.subscribe(*filter, since);
    while (!context->IsCancelled()) {
      // The kept past comes first, even when `until` has passed already: --since T1 --until T2
      // replays what happened between them and ends.
      auto event = subscription->next(std::chrono::milliseconds(200));
      if (!event) {
        if (until && events::Clock::now() >= *until)
          break;
        continue;
      }
      if (until && event->time > *until)
        break;
      keel::v1::Event out;
      *out.mutable_time() = to_proto(event->time);
      out.set_type(event->type);
      out.set_action(event->action);
      out.set_id(event->id);
      out.mutable_attributes()->insert(event->attributes.begin(), event->attributes.end());
      if (!writer->Write(out))
        break;
    }
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
