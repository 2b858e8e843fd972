// keelctl events: keeld's event stream, printed as docker prints it.
#include <iostream>
#include <map>

#include "ctl/commands/commands.h"
#include "ctl/filters.h"
#include "ctl/format.h"
#include "ctl/services.h"
#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

struct EventsFlags {
  std::string since;
  std::string until;
  std::vector<std::string> filters;
  std::string format;
};

// docker's line: "<time> <type> <action> <id> (k=v, k=v)", attributes sorted by key.
std::string event_line(const keel::v1::Event& event) {
  std::string line = rfc3339_nano(from_timestamp(event.time())) + " " + event.type() + " " +
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

keel::v1::SubscribeRequest subscribe_request(const EventsFlags& flags) {
  const auto now = std::chrono::system_clock::now();
  keel::v1::SubscribeRequest request;
  try {
    if (!flags.since.empty())
      *request.mutable_range()->mutable_since() = to_timestamp(parse_time(flags.since, now));
    if (!flags.until.empty())
      *request.mutable_range()->mutable_until() = to_timestamp(parse_time(flags.until, now));
  } catch (const FormatError& error) {
    throw CommandError(error.what(), 125);
  }
  add_filters(*request.mutable_filters(), flags.filters);
  return request;
}

void stream_events(Client& client, const EventsFlags& flags) {
  const keel::v1::SubscribeRequest request = subscribe_request(flags);
  rpc::ClientContext context;
  auto reader = api::Events::NewStub(client.channel())->Subscribe(&context, request);
  keel::v1::Event event;
  while (reader->Read(&event)) {
    if (flags.format.empty()) {
      std::cout << event_line(event) << std::endl;
      continue;
    }
    Row row{{"Type", event.type()},
            {"Action", event.action()},
            {"Status", event.action()},
            {"ID", event.id()},
            {"Time", std::to_string(event.time().seconds())},
            {"TimeNano", rfc3339_nano(from_timestamp(event.time()))}};
    for (const auto& [key, value] : event.attributes())
      row["Actor.Attributes." + key] = value;
    std::cout << render_rows(flags.format, "", {row}, {}) << std::flush;
  }
  client.check(reader->Finish());
}

}  // namespace

void add_events(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("events", "Get real time events from keeld");
  auto flags = std::make_shared<EventsFlags>();
  cmd->add_option("--since", flags->since, "Show all events created since timestamp");
  cmd->add_option("--until", flags->until, "Stream events until this timestamp");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("--format", flags->format, "Format the output using the given template or json");
  cmd->callback([=, &client] { stream_events(client, *flags); });
}

}  // namespace keel::ctl
