// keelctl events: keeld's event stream, printed as docker prints it.
#include <iostream>

#include "ctl/commands.h"
#include "ctl/format.h"
#include "keel/v1/events.grpc.pb.h"

namespace keel::ctl {
namespace {

google::protobuf::Timestamp to_proto(std::chrono::system_clock::time_point time) {
  const auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
  google::protobuf::Timestamp out;
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return out;
}

std::chrono::system_clock::time_point from_proto(const google::protobuf::Timestamp& t) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos())));
}

// docker's line: "<time> <type> <action> <id> (k=v, k=v)", attributes sorted by key.
std::string event_line(const keel::v1::Event& event) {
  std::string line = rfc3339_nano(from_proto(event.time())) + " " + event.type() + " " +
                     event.action() + " " + event.id();
  std::map<std::string, std::string> sorted(event.attributes().begin(), event.attributes().end());
  if (!sorted.empty()) {
    line += " (";
    bool first = true;
    for (const auto& [key, value] : sorted) {
      line += (first ? "" : ", ") + key + "=" + value;
      first = false;
    }
    line += ")";
  }
  return line;
}

void stream_events(Client& client, const std::string& since, const std::string& until,
                   const std::vector<std::string>& filters, const std::string& format) {
  const auto now = std::chrono::system_clock::now();
  keel::v1::SubscribeRequest request;
  try {
    if (!since.empty())
      *request.mutable_range()->mutable_since() = to_proto(parse_time(since, now));
    if (!until.empty())
      *request.mutable_range()->mutable_until() = to_proto(parse_time(until, now));
  } catch (const FormatError& error) {
    throw CommandError(error.what(), 125);
  }
  for (const auto& filter : filters) {
    const auto eq = filter.find('=');
    if (eq == std::string::npos)
      throw CommandError("invalid filter '" + filter + "': filters are key=value");
    auto* kv = request.add_filters();
    kv->set_key(filter.substr(0, eq));
    kv->set_value(filter.substr(eq + 1));
  }
  grpc::ClientContext context;
  auto reader = keel::v1::Events::NewStub(client.channel())->Subscribe(&context, request);
  keel::v1::Event event;
  while (reader->Read(&event)) {
    if (format.empty()) {
      std::cout << event_line(event) << std::endl;
      continue;
    }
    Row row{{"Type", event.type()},
            {"Action", event.action()},
            {"Status", event.action()},
            {"ID", event.id()},
            {"Time", std::to_string(event.time().seconds())},
            {"TimeNano", rfc3339_nano(from_proto(event.time()))}};
    for (const auto& [key, value] : event.attributes())
      row["Actor.Attributes." + key] = value;
    std::cout << render_rows(format, "", {row}, {}) << std::flush;
  }
  client.check(reader->Finish());
}

}  // namespace

void add_event_commands(CLI::App& app, Client& client) {
  auto* cmd = app.add_subcommand("events", "Get real time events from keeld");
  auto since = std::make_shared<std::string>();
  auto until = std::make_shared<std::string>();
  auto filters = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  cmd->add_option("--since", *since, "Show all events created since timestamp");
  cmd->add_option("--until", *until, "Stream events until this timestamp");
  cmd->add_option("-f,--filter", *filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--format", *format, "Format the output using the given template or json");
  cmd->callback([=, &client] { stream_events(client, *since, *until, *filters, *format); });
}

}  // namespace keel::ctl
