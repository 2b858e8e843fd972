#include "manager/server/tasks_service.h"

#include <signal.h>

#include <thread>

#include "manager/containers/run_options.h"
#include "manager/containers/stdio_relay.h"
#include "manager/server/proto_time.h"
#include "manager/server/status.h"
#include "manager/server/stdio_session.h"

namespace keel::manager::server {
namespace {

using containers::ContainerRecord;
using containers::Status;

void fill(const ContainerRecord& record, keel::v1::TaskStatus& out) {
  out.set_id(record.id);
  out.set_status(containers::status_name(record.state.status));
  out.set_pid(record.state.pid);
  out.set_exit_code(record.state.exit_code);
  out.set_oom_killed(record.state.oom_killed);
}

}  // namespace

grpc::Status TasksService::Start(grpc::ServerContext*, const keel::v1::TaskRequest* request,
                                 keel::v1::TaskStatus* response) {
  return guarded([&] {
    auto record = containers_.start(request->id());
    if (!record)
      return to_status(record.error());
    fill(*record, *response);
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Kill(grpc::ServerContext*, const keel::v1::KillRequest* request,
                                keel::v1::Empty*) {
  return guarded([&] {
    int signal = SIGKILL;
    if (!request->signal().empty()) {
      auto parsed = containers::parse_signal(request->signal());
      if (!parsed)
        return to_status(parsed.error());
      signal = *parsed;
    }
    if (auto killed = containers_.kill(request->id(), signal); !killed)
      return to_status(killed.error());
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Stop(grpc::ServerContext*, const keel::v1::StopRequest* request,
                                keel::v1::TaskStatus* response) {
  return guarded([&] {
    auto record = containers_.stop(request->id(), request->timeout());
    if (!record)
      return to_status(record.error());
    fill(*record, *response);
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Restart(grpc::ServerContext*, const keel::v1::StopRequest* request,
                                   keel::v1::TaskStatus* response) {
  return guarded([&] {
    auto record = containers_.restart(request->id(), request->timeout());
    if (!record)
      return to_status(record.error());
    fill(*record, *response);
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Pause(grpc::ServerContext*, const keel::v1::TaskRequest* request,
                                 keel::v1::Empty*) {
  return guarded([&] {
    if (auto paused = containers_.pause(request->id()); !paused)
      return to_status(paused.error());
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Resume(grpc::ServerContext*, const keel::v1::TaskRequest* request,
                                  keel::v1::Empty*) {
  return guarded([&] {
    if (auto resumed = containers_.resume(request->id()); !resumed)
      return to_status(resumed.error());
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Wait(grpc::ServerContext* context, const keel::v1::TaskRequest* request,
                                keel::v1::TaskStatus* response) {
  return guarded([&] {
    auto record = containers_.wait(request->id(), [context] { return context->IsCancelled(); });
    if (!record)
      return to_status(record.error());
    fill(*record, *response);
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Attach(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<keel::v1::IoMessage, keel::v1::AttachRequest>* stream) {
  return guarded([&] {
    keel::v1::AttachRequest first;
    if (!stream->Read(&first) || !first.has_start())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "attach: the first message must name the container");
    const auto start = first.start();
    auto record = containers_.get(start.id());
    if (!record)
      return to_status(record.error());
    const std::string id = record->id;
    auto stdio = containers_.init_stdio(id);
    if (!stdio)
      return to_status(stdio.error());
    // The fifos are open before the container starts, so no output is missed.
    auto relay = containers::StdioRelay::open(*stdio, start.stdin());
    if (!relay)
      return to_status(relay.error());
    if (start.start()) {
      auto started = containers_.start(id);
      if (!started)
        return to_status(started.error());
    }
    if (start.has_size() && start.size().cols() > 0 && stdio->terminal)
      (void)containers_.resize(id, "", start.size().cols(), start.size().rows());

    IoSender sender(stream);
    run_stdio_session(
        context, stream, sender, *relay,
        SessionHooks{
            .resize = [&](std::uint32_t cols,
                          std::uint32_t rows) { (void)containers_.resize(id, "", cols, rows); },
            // Only stdout when only it was asked for.
            .wants =
                [&](bool is_stderr) { return !is_stderr || start.stderr() || !start.stdout(); },
            .exit_code = [&](bool client_gone) -> std::optional<int> {
              if (client_gone)
                return std::nullopt;
              auto done = containers_.wait(id, [&] { return context->IsCancelled(); });
              return done ? done->state.exit_code : 255;
            }});
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Exec(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<keel::v1::IoMessage, keel::v1::ExecRequest>* stream) {
  return guarded([&] {
    keel::v1::ExecRequest first;
    if (!stream->Read(&first) || !first.has_start())
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "exec: the first message must be the start");
    const auto start = first.start();
    containers::ExecRequest request;
    request.cmd.assign(start.cmd().begin(), start.cmd().end());
    request.env.assign(start.env().begin(), start.env().end());
    request.working_dir = start.working_dir();
    request.user = start.user();
    request.tty = start.tty();
    request.attach_stdin = start.attach_stdin() && !start.detach();
    request.privileged = start.privileged();
    auto handle = containers_.exec(start.id(), request);
    if (!handle)
      return to_status(handle.error());
    auto relay = containers::StdioRelay::open(handle->stdio, request.attach_stdin);
    if (!relay)
      return to_status(relay.error());
    // Started only now that the fifos have a reader: no output is lost.
    auto record = containers_.get(handle->container_id);
    if (!record)
      return to_status(record.error());
    {
      auto started = containers_.start_exec(*handle);
      if (!started)
        return to_status(started.error());
    }
    IoSender sender(stream);
    keel::v1::IoMessage hello;
    hello.set_exec_id(handle->exec_id);
    sender.send(hello);
    if (start.has_size() && start.size().cols() > 0 && request.tty)
      (void)containers_.resize(handle->container_id, handle->exec_id, start.size().cols(),
                               start.size().rows());
    if (start.detach()) {
      // Nobody reads its output: the shim drops what the fifos cannot hold.
      if (auto detached = containers_.detach_exec(*handle); !detached)
        return to_status(detached.error());
      return grpc::Status::OK;
    }
    run_stdio_session(context, stream, sender, *relay,
                      SessionHooks{.resize =
                                       [&](std::uint32_t cols, std::uint32_t rows) {
                                         (void)containers_.resize(handle->container_id,
                                                                  handle->exec_id, cols, rows);
                                       },
                                   .wants = {},
                                   .exit_code = [&](bool) -> std::optional<int> {
                                     auto code = containers_.wait_exec(*handle);
                                     return code ? *code : 126;
                                   }});
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Top(grpc::ServerContext*, const keel::v1::TopRequest* request,
                               keel::v1::TopResponse* response) {
  return guarded([&] {
    const std::vector<std::string> ps_args(request->ps_args().begin(), request->ps_args().end());
    auto table = containers_.top(request->id(), ps_args);
    if (!table)
      return to_status(table.error());
    for (const auto& title : table->titles)
      response->add_titles(title);
    for (const auto& process : table->processes) {
      auto* row = response->add_processes();
      for (const auto& value : process)
        row->add_fields(value);
    }
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Stats(grpc::ServerContext* context,
                                 const keel::v1::StatsRequest* request,
                                 grpc::ServerWriter<keel::v1::StatsSample>* writer) {
  return guarded([&] {
    auto record = containers_.get(request->id());
    if (!record)
      return to_status(record.error());
    do {
      auto sample = containers_.stats(record->id);
      if (!sample)
        return to_status(sample.error());
      keel::v1::StatsSample out;
      out.set_id(record->id);
      out.set_name(record->name);
      *out.mutable_read() = to_proto(std::chrono::system_clock::now());
      out.set_cpu_usage_ns(sample->cpu_usage_ns);
      out.set_system_cpu_ns(sample->system_cpu_ns);
      out.set_online_cpus(sample->online_cpus);
      out.set_memory_usage(sample->memory_usage);
      out.set_memory_limit(sample->memory_limit);
      out.set_pids(sample->pids);
      out.set_block_read(sample->block_read);
      out.set_block_write(sample->block_write);
      for (const auto& counters : sample->networks) {
        out.set_net_rx(out.net_rx() + counters.rx_bytes);
        out.set_net_tx(out.net_tx() + counters.tx_bytes);
        auto& interface = (*out.mutable_networks())[counters.name];
        interface.set_rx_bytes(counters.rx_bytes);
        interface.set_rx_packets(counters.rx_packets);
        interface.set_rx_errors(counters.rx_errors);
        interface.set_rx_dropped(counters.rx_dropped);
        interface.set_tx_bytes(counters.tx_bytes);
        interface.set_tx_packets(counters.tx_packets);
        interface.set_tx_errors(counters.tx_errors);
        interface.set_tx_dropped(counters.tx_dropped);
      }
      if (!writer->Write(out))
        break;
      if (!request->stream())
        break;
      for (int i = 0; i < 10 && !context->IsCancelled(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (!context->IsCancelled());
    return grpc::Status::OK;
  });
}

}  // namespace keel::manager::server
