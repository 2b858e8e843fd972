// docker's container verbs other than run/exec and cp: ps, stop, restart, kill, pause, unpause,
// rm, wait, logs, top, stats, inspect, rename, update, diff, commit, export; and the `container`
// group that holds them all under docker's short names.
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <thread>

#include "ctl/commands.h"
#include "ctl/container_config.h"
#include "ctl/container_helpers.h"
#include "ctl/container_json.h"
#include "ctl/container_rows.h"
#include "ctl/format.h"
#include "ctl/image_json.h"
#include "ctl/output.h"
#include "ctl/streams.h"
#include "keel/v1/containers.grpc.pb.h"
#include "keel/v1/images.grpc.pb.h"
#include "keel/v1/tasks.grpc.pb.h"

namespace keel::ctl {
namespace {

using keel::v1::Containers;
using keel::v1::Tasks;

std::vector<keel::v1::Container> list_containers(Client& client, bool all,
                                                 const std::vector<std::string>& filters) {
  keel::v1::ListContainersRequest request;
  request.set_all(all);
  for (const auto& filter : filters) {
    const auto eq = filter.find('=');
    if (eq == std::string::npos)
      throw CommandError("invalid argument \"" + filter +
                         "\" for \"-f, --filter\" flag: bad "
                         "format of filter (expected name=value)");
    auto* kv = request.add_filters();
    kv->set_key(filter.substr(0, eq));
    kv->set_value(filter.substr(eq + 1));
  }
  keel::v1::ListContainersResponse response;
  grpc::ClientContext context;
  client.check(Containers::NewStub(client.channel())->List(&context, request, &response));
  std::vector<keel::v1::Container> out(response.containers().begin(), response.containers().end());
  // Newest first, as docker lists them.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::make_pair(a.created().seconds(), a.created().nanos()) >
           std::make_pair(b.created().seconds(), b.created().nanos());
  });
  return out;
}

void ps(Client& client, bool all, bool quiet, bool no_trunc,
        const std::vector<std::string>& filters, const std::string& format, int last, bool latest) {
  if (latest)
    last = 1;
  auto containers = list_containers(client, all || last > 0, filters);
  if (last >= 0 && containers.size() > static_cast<std::size_t>(last))
    containers.resize(static_cast<std::size_t>(last));
  if (quiet) {
    for (const auto& container : containers)
      std::cout << (no_trunc ? container.id() : short_id(container.id())) << "\n";
    return;
  }
  const auto now = std::chrono::system_clock::now();
  std::vector<Row> rows;
  for (const auto& container : containers)
    rows.push_back(ps_row(container, no_trunc, now));
  try {
    std::cout << render_rows(format, kPsTable, rows, ps_headers());
  } catch (const FormatError& error) {
    throw CommandError(error.what());
  }
}

void simple_verbs(CLI::App& parent, Client& client) {
  // stop and restart take the same flags and request; only the call differs.
  for (const bool restart : {false, true}) {
    auto* cmd = parent.add_subcommand(
        restart ? "restart" : "stop",
        restart ? "Restart one or more containers" : "Stop one or more running containers");
    auto names = std::make_shared<std::vector<std::string>>();
    auto timeout = std::make_shared<int>(-1);
    cmd->add_option("-t,--time,--timeout", *timeout,
                    "Seconds to wait before killing the container");
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] {
      for_each_container(*names, [&](const std::string& name) {
        keel::v1::StopRequest request;
        request.set_id(name);
        request.set_timeout(*timeout);
        keel::v1::TaskStatus status;
        grpc::ClientContext context;
        auto stub = Tasks::NewStub(client.channel());
        client.check(restart ? stub->Restart(&context, request, &status)
                             : stub->Stop(&context, request, &status));
      });
    });
  }
  {
    auto* cmd = parent.add_subcommand("kill", "Kill one or more running containers");
    auto names = std::make_shared<std::vector<std::string>>();
    auto signal = std::make_shared<std::string>("KILL");
    cmd->add_option("-s,--signal", *signal, "Signal to send to the container")
        ->capture_default_str();
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] {
      for_each_container(*names, [&](const std::string& name) {
        keel::v1::KillRequest request;
        request.set_id(name);
        request.set_signal(*signal);
        keel::v1::Empty empty;
        grpc::ClientContext context;
        client.check(Tasks::NewStub(client.channel())->Kill(&context, request, &empty));
      });
    });
  }
  for (const bool pause : {true, false}) {
    auto* cmd = parent.add_subcommand(pause ? "pause" : "unpause",
                                      pause ? "Pause all processes within one or more containers"
                                            : "Unpause all processes within one or more "
                                              "containers");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] {
      for_each_container(*names, [&](const std::string& name) {
        keel::v1::TaskRequest request;
        request.set_id(name);
        keel::v1::Empty empty;
        grpc::ClientContext context;
        auto stub = Tasks::NewStub(client.channel());
        client.check(pause ? stub->Pause(&context, request, &empty)
                           : stub->Resume(&context, request, &empty));
      });
    });
  }
  {
    auto* cmd = parent.add_subcommand("wait",
                                      "Block until one or more containers stop, then "
                                      "print their exit codes");
    auto names = std::make_shared<std::vector<std::string>>();
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] {
      for_each_container(
          *names,
          [&](const std::string& name) {
            keel::v1::TaskRequest request;
            request.set_id(name);
            keel::v1::TaskStatus status;
            grpc::ClientContext context;
            client.check(Tasks::NewStub(client.channel())->Wait(&context, request, &status));
            std::cout << status.exit_code() << std::endl;
          },
          false);
    });
  }
  {
    auto* cmd = parent.add_subcommand("rename", "Rename a container");
    auto name = std::make_shared<std::string>();
    auto new_name = std::make_shared<std::string>();
    cmd->add_option("container", *name, "CONTAINER")->required();
    cmd->add_option("new_name", *new_name, "NEW_NAME")->required();
    cmd->callback([=, &client] {
      keel::v1::RenameContainerRequest request;
      request.set_id(*name);
      request.set_new_name(*new_name);
      keel::v1::Container container;
      grpc::ClientContext context;
      client.check(Containers::NewStub(client.channel())->Rename(&context, request, &container));
    });
  }
}

void remove_verb(CLI::App& parent, Client& client, bool grouped) {
  auto* cmd = parent.add_subcommand(grouped ? "rm" : "rm", "Remove one or more containers");
  if (grouped)
    cmd->alias("remove");
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  cmd->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
  cmd->add_option("containers", *names, "CONTAINER...")->required();
  cmd->callback([=, &client] {
    for_each_container(*names, [&](const std::string& name) {
      keel::v1::RemoveContainerRequest request;
      request.set_id(name);
      request.set_force(*force);
      request.set_volumes(*volumes);
      keel::v1::Empty empty;
      grpc::ClientContext context;
      client.check(Containers::NewStub(client.channel())->Remove(&context, request, &empty));
    });
  });
}

void logs(Client& client, const std::string& name, bool follow, const std::string& tail,
          bool timestamps, const std::string& since, const std::string& until) {
  keel::v1::LogsRequest request;
  request.set_id(name);
  request.set_follow(follow);
  request.set_stdout(true);
  request.set_stderr(true);
  if (tail.empty() || tail == "all") {
    request.set_tail(-1);
  } else {
    try {
      std::size_t used = 0;
      request.set_tail(std::stoll(tail, &used));
      if (used != tail.size())
        throw std::invalid_argument(tail);
    } catch (const std::exception&) {
      throw CommandError("invalid argument \"" + tail + "\" for \"-n, --tail\" flag");
    }
  }
  const auto now = std::chrono::system_clock::now();
  try {
    if (!since.empty())
      *request.mutable_since() = to_timestamp(parse_time(since, now));
    if (!until.empty())
      *request.mutable_until() = to_timestamp(parse_time(until, now));
  } catch (const FormatError& error) {
    throw CommandError(error.what());
  }
  grpc::ClientContext context;
  auto reader = Containers::NewStub(client.channel())->Logs(&context, request);
  keel::v1::LogEntry entry;
  while (reader->Read(&entry)) {
    const int fd = entry.stream() == "stderr" ? STDERR_FILENO : STDOUT_FILENO;
    if (timestamps)
      write_output(fd, rfc3339_nano(from_timestamp(entry.time())) + " " + entry.line());
    else
      write_output(fd, entry.line());
  }
  client.check(reader->Finish());
}

// docker top's table: tabwriter with minwidth 20 and padding 3.
void top(Client& client, const std::string& name, const std::vector<std::string>& ps_args) {
  keel::v1::TopRequest request;
  request.set_id(name);
  for (const auto& arg : ps_args)
    request.add_ps_args(arg);
  keel::v1::TopResponse response;
  grpc::ClientContext context;
  client.check(Tasks::NewStub(client.channel())->Top(&context, request, &response));
  std::vector<std::vector<std::string>> lines;
  lines.emplace_back(response.titles().begin(), response.titles().end());
  for (const auto& process : response.processes())
    lines.emplace_back(process.fields().begin(), process.fields().end());
  std::vector<std::size_t> widths;
  for (const auto& line : lines)
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (widths.size() <= i)
        widths.push_back(0);
      widths[i] = std::max(widths[i], line[i].size());
    }
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size())
        text.append(std::max<std::size_t>(widths[i] + 3, 20) - line[i].size(), ' ');
    }
    std::cout << text << "\n";
  }
}

// One stats stream per container; rows are redrawn each second (or printed once after two
// samples with --no-stream, which is what docker's CPU % needs).
void stats(Client& client, std::vector<std::string> names, bool all, bool no_stream, bool no_trunc,
           const std::string& format) {
  if (names.empty())
    for (const auto& container : list_containers(client, all, {}))
      names.push_back(container.id());
  struct Slot {
    std::optional<keel::v1::StatsSample> previous;
    std::optional<keel::v1::StatsSample> current;
    std::string error;
    bool finished = false;
  };
  std::mutex mutex;
  std::vector<Slot> slots(names.size());
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::thread> readers;
  for (std::size_t i = 0; i < names.size(); ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    if (no_stream)
      contexts.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    readers.emplace_back([&, i] {
      keel::v1::StatsRequest request;
      request.set_id(names[i]);
      request.set_stream(true);
      auto reader = Tasks::NewStub(client.channel())->Stats(contexts[i].get(), request);
      keel::v1::StatsSample sample;
      int count = 0;
      while (reader->Read(&sample)) {
        std::lock_guard lock(mutex);
        // No limit shows as the host's memory, as docker shows it.
        if (sample.memory_limit() == 0 || sample.memory_limit() >= (1ULL << 62))
          sample.set_memory_limit(static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) *
                                  static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)));
        slots[i].previous = std::move(slots[i].current);
        slots[i].current = sample;
        if (no_stream && ++count == 2) {
          contexts[i]->TryCancel();
          break;
        }
      }
      const grpc::Status status = reader->Finish();
      std::lock_guard lock(mutex);
      slots[i].finished = true;
      if (!status.ok() && status.error_code() != grpc::StatusCode::CANCELLED &&
          !(status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && slots[i].current)) {
        try {
          client.check(status);
        } catch (const CommandError& error) {
          slots[i].error = error.what();
        }
      }
    });
  }
  auto render = [&] {
    std::vector<Row> rows;
    std::lock_guard lock(mutex);
    for (const auto& slot : slots)
      if (slot.current)
        rows.push_back(
            stats_row(slot.previous ? &*slot.previous : nullptr, *slot.current, no_trunc));
    try {
      return render_rows(format, kStatsTable, rows, stats_headers());
    } catch (const FormatError& error) {
      throw CommandError(error.what());
    }
  };
  std::string failure;
  if (no_stream) {
    for (auto& reader : readers)
      reader.join();
    std::cout << render();
  } else {
    const bool table = format.empty() || format.starts_with("table");
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      bool all_finished = true;
      {
        std::lock_guard lock(mutex);
        for (const auto& slot : slots)
          all_finished = all_finished && slot.finished;
      }
      std::cout << (table ? "\033[2J\033[H" : "") << render() << std::flush;
      if (all_finished)
        break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    for (auto& reader : readers)
      reader.join();
  }
  for (const auto& slot : slots)
    if (!slot.error.empty())
      failure += (failure.empty() ? "" : "\n") + slot.error;
  if (!failure.empty())
    throw CommandError(failure);
}

// docker inspect: containers first, then images; --type narrows it.
void inspect(Client& client, const std::vector<std::string>& names, const std::string& format,
             const std::string& type) {
  if (!type.empty() && type != "container" && type != "image")
    throw CommandError("\"" + type + "\" is not a valid value for --type");
  nlohmann::json all = nlohmann::json::array();
  std::vector<std::string> missing;
  auto containers = Containers::NewStub(client.channel());
  auto images = keel::v1::Images::NewStub(client.channel());
  for (const auto& name : names) {
    if (type != "image") {
      keel::v1::ContainerRequest request;
      request.set_id(name);
      keel::v1::Container container;
      grpc::ClientContext context;
      const grpc::Status status = containers->Get(&context, request, &container);
      if (status.ok()) {
        all.push_back(container_inspect_json(container));
        continue;
      }
      if (status.error_code() != grpc::StatusCode::NOT_FOUND)
        client.check(status);
    }
    if (type != "container") {
      keel::v1::GetImageRequest request;
      request.set_ref(name);
      keel::v1::Image image;
      grpc::ClientContext context;
      const grpc::Status status = images->Get(&context, request, &image);
      if (status.ok()) {
        all.push_back(image_inspect_json(image));
        continue;
      }
      if (status.error_code() != grpc::StatusCode::NOT_FOUND)
        client.check(status);
    }
    missing.push_back(name);
  }
  try {
    if (format.empty())
      std::cout << all.dump(4) << "\n";
    else
      for (const auto& one : all)
        std::cout << render_json_template(format, one) << "\n";
  } catch (const FormatError& error) {
    throw CommandError(error.what());
  }
  if (!missing.empty()) {
    const std::string what = type.empty() ? "object" : type;
    std::string message;
    for (const auto& name : missing)
      message +=
          (message.empty() ? "" : "\n") + std::string("Error: No such ") + what + ": " + name;
    throw CommandError(message);
  }
}

void update(Client& client, const std::vector<std::string>& names, const std::string& memory,
            const std::string& cpus, const std::optional<std::int64_t>& pids_limit,
            const std::string& restart) {
  if (memory.empty() && cpus.empty() && !pids_limit && restart.empty())
    throw CommandError("you must provide one or more flags when using this command");
  keel::v1::UpdateContainerRequest request;
  try {
    if (!memory.empty())
      request.mutable_resources()->set_memory(parse_memory(memory, "-m, --memory"));
    if (!cpus.empty())
      request.mutable_resources()->set_milli_cpus(parse_cpus(cpus));
    if (pids_limit)
      request.mutable_resources()->set_pids_limit(*pids_limit);
    if (!restart.empty())
      *request.mutable_restart_policy() = parse_restart_policy(restart);
  } catch (const CommandError& error) {
    throw CommandError(error.what(), 1);
  }
  for_each_container(names, [&](const std::string& name) {
    request.set_id(name);
    keel::v1::Container container;
    grpc::ClientContext context;
    client.check(Containers::NewStub(client.channel())->Update(&context, request, &container));
  });
}

void diff(Client& client, const std::string& name) {
  keel::v1::ContainerRequest request;
  request.set_id(name);
  keel::v1::DiffResponse response;
  grpc::ClientContext context;
  client.check(Containers::NewStub(client.channel())->Diff(&context, request, &response));
  for (const auto& change : response.changes())
    std::cout << change.kind() << " " << change.path() << "\n";
}

void commit(Client& client, const std::string& name, const std::string& ref,
            const std::vector<std::string>& changes, const std::string& message,
            const std::string& author, bool pause) {
  keel::v1::CommitContainerRequest request;
  request.set_id(name);
  request.set_ref(ref);
  for (const auto& change : changes)
    request.add_changes(change);
  request.set_message(message);
  request.set_author(author);
  request.set_pause(pause);
  keel::v1::Image image;
  grpc::ClientContext context;
  client.check(Containers::NewStub(client.channel())->Commit(&context, request, &image));
  std::cout << image.id() << "\n";
}

void export_rootfs(Client& client, const std::string& name, const std::string& output) {
  ChunkSink sink(output);
  keel::v1::ContainerRequest request;
  request.set_id(name);
  grpc::ClientContext context;
  auto reader = Containers::NewStub(client.channel())->Export(&context, request);
  keel::v1::Chunk chunk;
  while (reader->Read(&chunk))
    sink.write(chunk.data());
  client.check(reader->Finish());
  sink.finish();
}

void add_commands(CLI::App& parent, Client& client, bool grouped) {
  add_run_verbs(parent, client, grouped);
  add_copy_verbs(parent, client, grouped);
  simple_verbs(parent, client);
  remove_verb(parent, client, grouped);
  {
    auto* cmd = parent.add_subcommand(grouped ? "ls" : "ps", "List containers");
    if (grouped) {
      cmd->alias("ps");
      cmd->alias("list");
    }
    auto all = std::make_shared<bool>(false);
    auto quiet = std::make_shared<bool>(false);
    auto no_trunc = std::make_shared<bool>(false);
    auto size = std::make_shared<bool>(false);
    auto latest = std::make_shared<bool>(false);
    auto last = std::make_shared<int>(-1);
    auto format = std::make_shared<std::string>();
    auto filters = std::make_shared<std::vector<std::string>>();
    cmd->add_flag("-a,--all", *all, "Show all containers (default shows just running)");
    cmd->add_flag("-q,--quiet", *quiet, "Only display container IDs");
    cmd->add_flag("--no-trunc", *no_trunc, "Don't truncate output");
    cmd->add_flag("-s,--size", *size, "Display total file sizes");
    cmd->add_flag("-l,--latest", *latest,
                  "Show the latest created container (includes all states)");
    cmd->add_option("-n,--last", *last, "Show n last created containers (includes all states)");
    cmd->add_option("--format", *format, "Format output: table, json or a template");
    cmd->add_option("-f,--filter", *filters, "Filter output based on conditions provided")
        ->allow_extra_args(false);
    cmd->callback(
        [=, &client] { ps(client, *all, *quiet, *no_trunc, *filters, *format, *last, *latest); });
  }
  {
    auto* cmd = parent.add_subcommand("logs", "Fetch the logs of a container");
    auto name = std::make_shared<std::string>();
    auto follow = std::make_shared<bool>(false);
    auto tail = std::make_shared<std::string>("all");
    auto timestamps = std::make_shared<bool>(false);
    auto since = std::make_shared<std::string>();
    auto until = std::make_shared<std::string>();
    cmd->add_flag("-f,--follow", *follow, "Follow log output");
    cmd->add_option("-n,--tail", *tail, "Number of lines to show from the end of the logs")
        ->capture_default_str();
    cmd->add_flag("-t,--timestamps", *timestamps, "Show timestamps");
    cmd->add_option("--since", *since, "Show logs since timestamp or relative (e.g. 42m)");
    cmd->add_option("--until", *until, "Show logs before a timestamp or relative (e.g. 42m)");
    cmd->add_option("container", *name, "CONTAINER")->required();
    cmd->callback(
        [=, &client] { logs(client, *name, *follow, *tail, *timestamps, *since, *until); });
  }
  {
    auto* cmd = parent.add_subcommand("top", "Display the running processes of a container");
    cmd->positionals_at_end();
    auto args = std::make_shared<std::vector<std::string>>();
    cmd->add_option("args", *args, "CONTAINER [ps OPTIONS]")->required();
    cmd->callback([=, &client] {
      top(client, args->front(), std::vector<std::string>(args->begin() + 1, args->end()));
    });
  }
  {
    auto* cmd = parent.add_subcommand("stats",
                                      "Display a live stream of container(s) resource "
                                      "usage statistics");
    auto names = std::make_shared<std::vector<std::string>>();
    auto all = std::make_shared<bool>(false);
    auto no_stream = std::make_shared<bool>(false);
    auto no_trunc = std::make_shared<bool>(false);
    auto format = std::make_shared<std::string>();
    cmd->add_flag("-a,--all", *all, "Show all containers (default shows just running)");
    cmd->add_flag("--no-stream", *no_stream,
                  "Disable streaming stats and only pull the first "
                  "result");
    cmd->add_flag("--no-trunc", *no_trunc, "Do not truncate output");
    cmd->add_option("--format", *format, "Format output: table, json or a template");
    cmd->add_option("containers", *names, "CONTAINER...");
    cmd->callback([=, &client] { stats(client, *names, *all, *no_stream, *no_trunc, *format); });
  }
  {
    auto* cmd = parent.add_subcommand("inspect", grouped ? "Display detailed information on one or "
                                                           "more containers"
                                                         : "Return low-level information on keeld "
                                                           "objects");
    auto names = std::make_shared<std::vector<std::string>>();
    auto format = std::make_shared<std::string>();
    auto type = std::make_shared<std::string>(grouped ? "container" : "");
    auto size = std::make_shared<bool>(false);
    cmd->add_option("-f,--format", *format, "Format output using a template");
    cmd->add_flag("-s,--size", *size, "Display total file sizes");
    if (!grouped)
      cmd->add_option("--type", *type, "Return JSON for specified type");
    cmd->add_option("names", *names, "NAME|ID...")->required();
    cmd->callback([=, &client] { inspect(client, *names, *format, *type); });
  }
  {
    auto* cmd = parent.add_subcommand("update", "Update configuration of one or more containers");
    auto names = std::make_shared<std::vector<std::string>>();
    auto memory = std::make_shared<std::string>();
    auto cpus = std::make_shared<std::string>();
    auto pids_limit = std::make_shared<std::optional<std::int64_t>>();
    auto restart = std::make_shared<std::string>();
    cmd->add_option("-m,--memory", *memory, "Memory limit");
    cmd->add_option("--cpus", *cpus, "Number of CPUs");
    cmd->add_option("--pids-limit", *pids_limit,
                    "Tune container pids limit (set -1 for unlimited)");
    cmd->add_option("--restart", *restart, "Restart policy to apply when a container exits");
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] { update(client, *names, *memory, *cpus, *pids_limit, *restart); });
  }
  {
    auto* cmd = parent.add_subcommand("diff",
                                      "Inspect changes to files or directories on a "
                                      "container's filesystem");
    auto name = std::make_shared<std::string>();
    cmd->add_option("container", *name, "CONTAINER")->required();
    cmd->callback([=, &client] { diff(client, *name); });
  }
  {
    auto* cmd = parent.add_subcommand("commit", "Create a new image from a container's changes");
    auto name = std::make_shared<std::string>();
    auto ref = std::make_shared<std::string>();
    auto changes = std::make_shared<std::vector<std::string>>();
    auto message = std::make_shared<std::string>();
    auto author = std::make_shared<std::string>();
    auto pause = std::make_shared<bool>(true);
    cmd->add_option("-c,--change", *changes, "Apply Dockerfile instruction to the created image")
        ->allow_extra_args(false);
    cmd->add_option("-m,--message", *message, "Commit message");
    cmd->add_option("-a,--author", *author,
                    "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
    cmd->add_flag("-p,--pause,!--no-pause", *pause, "Pause container during commit")
        ->default_str("true");
    cmd->add_option("container", *name, "CONTAINER")->required();
    cmd->add_option("reference", *ref, "[REPOSITORY[:TAG]]");
    cmd->callback(
        [=, &client] { commit(client, *name, *ref, *changes, *message, *author, *pause); });
  }
  {
    auto* cmd = parent.add_subcommand("export", "Export a container's filesystem as a tar archive");
    auto name = std::make_shared<std::string>();
    auto output = std::make_shared<std::string>();
    cmd->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
    cmd->add_option("container", *name, "CONTAINER")->required();
    cmd->callback([=, &client] { export_rootfs(client, *name, *output); });
  }
}

}  // namespace

void for_each_container(const std::vector<std::string>& names,
                        const std::function<void(const std::string&)>& action, bool print_names) {
  bool failed = false;
  for (const auto& name : names) {
    try {
      action(name);
      if (print_names)
        std::cout << name << std::endl;
    } catch (const CommandError& error) {
      std::cerr << error.what() << "\n";
      failed = true;
    }
  }
  if (failed)
    throw CommandError("", 1);
}

void add_container_commands(CLI::App& app, Client& client) {
  add_commands(app, client, false);
  auto* group = app.add_subcommand("container", "Manage containers");
  group->require_subcommand(1);
  add_commands(*group, client, true);
}

}  // namespace keel::ctl
