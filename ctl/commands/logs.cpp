// keelctl logs: a container's log lines on stdout and stderr as it wrote them.
#include <unistd.h>

#include "ctl/commands/commands.h"
#include "ctl/format.h"
#include "ctl/output.h"
#include "ctl/services.h"
#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

struct LogsFlags {
  std::string name;
  bool follow = false;
  std::string tail = "all";
  bool timestamps = false;
  std::string since;
  std::string until;
};

keel::v1::LogsRequest logs_request(const LogsFlags& flags) {
  keel::v1::LogsRequest request;
  request.set_id(flags.name);
  request.set_follow(flags.follow);
  request.set_stdout(true);
  request.set_stderr(true);
  if (flags.tail.empty() || flags.tail == "all") {
    request.set_tail(-1);
  } else {
    try {
      std::size_t used = 0;
      request.set_tail(std::stoll(flags.tail, &used));
      if (used != flags.tail.size())
        throw std::invalid_argument(flags.tail);
    } catch (const std::exception&) {
      throw CommandError("invalid argument \"" + flags.tail + "\" for \"-n, --tail\" flag");
    }
  }
  const auto now = std::chrono::system_clock::now();
  try {
    if (!flags.since.empty())
      *request.mutable_since() = to_timestamp(parse_time(flags.since, now));
    if (!flags.until.empty())
      *request.mutable_until() = to_timestamp(parse_time(flags.until, now));
  } catch (const FormatError& error) {
    throw CommandError(error.what());
  }
  return request;
}

void logs(Client& client, const LogsFlags& flags) {
  const keel::v1::LogsRequest request = logs_request(flags);
  rpc::ClientContext context;
  auto reader = api::Containers::NewStub(client.channel())->Logs(&context, request);
  keel::v1::LogEntry entry;
  while (reader->Read(&entry)) {
    const int fd = entry.stream() == "stderr" ? STDERR_FILENO : STDOUT_FILENO;
    if (flags.timestamps)
      write_output(fd, rfc3339_nano(from_timestamp(entry.time())) + " " + entry.line());
    else
      write_output(fd, entry.line());
  }
  client.check(reader->Finish());
}

}  // namespace

void add_logs(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("logs", "Fetch the logs of a container");
  auto flags = std::make_shared<LogsFlags>();
  cmd->add_flag("-f,--follow", flags->follow, "Follow log output");
  cmd->add_option("-n,--tail", flags->tail, "Number of lines to show from the end of the logs")
      ->capture_default_str();
  cmd->add_flag("-t,--timestamps", flags->timestamps, "Show timestamps");
  cmd->add_option("--since", flags->since, "Show logs since timestamp or relative (e.g. 42m)");
  cmd->add_option("--until", flags->until, "Show logs before a timestamp or relative (e.g. 42m)");
  cmd->add_option("container", flags->name, "CONTAINER")->required();
  cmd->callback([=, &client] { logs(client, *flags); });
}

}  // namespace keel::ctl
