#include "manager/server/tasks_service.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "manager/containers/run_options.h"
#include "manager/server/proto_time.h"
#include "manager/server/status.h"
#include "manager/server/stdio_relay.h"
#include "shimapi/spawn.h"

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

// Output and the end of the process go to the client through one writer at a time.
template <class Stream>
class Sender {
 public:
  explicit Sender(Stream* stream) : stream_(stream) {}
  bool output(bool is_stderr, std::string_view bytes) {
    keel::v1::IoMessage message;
    if (is_stderr)
      message.set_stderr(bytes.data(), bytes.size());
    else
      message.set_stdout(bytes.data(), bytes.size());
    return send(message);
  }
  bool send(const keel::v1::IoMessage& message) {
    std::lock_guard lock(mutex_);
    return stream_->Write(message);
  }

 private:
  Stream* stream_;
  std::mutex mutex_;
};

// Runs argv and returns its stdout (docker top runs ps on the host).
Result<std::string> capture(const std::vector<std::string>& argv) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  shimapi::SpawnOptions options;
  options.argv = argv;
  options.stdout_fd = write_end.get();
  auto pid = shimapi::spawn(options);
  if (!pid)
    return std::move(pid).error();
  write_end.reset();
  std::string out;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(read_end.get(), buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  auto code = shimapi::wait_exit(*pid);
  if (!code)
    return std::move(code).error();
  if (*code != 0)
    return Error::of(Errc::kInvalidArgument, "ps failed with exit code " + std::to_string(*code));
  return out;
}

// The input thread ends when the client half-closes after the exit code; a client that never
// does is cut off after a moment so the handler thread is not held forever.
void finish_input(grpc::ServerContext* context, const std::atomic<bool>& client_gone) {
  for (int i = 0; i < 50 && !client_gone.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
  if (!client_gone.load())
    context->TryCancel();
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
    auto relay = StdioRelay::open(*stdio, start.stdin());
    if (!relay)
      return to_status(relay.error());
    if (start.start()) {
      auto started = containers_.start(id);
      if (!started)
        return to_status(started.error());
    }
    if (start.has_size() && start.size().cols() > 0 && stdio->terminal)
      (void)containers_.resize(id, "", start.size().cols(), start.size().rows());

    Sender sender(stream);
    std::atomic<bool> client_gone = false;
    std::thread input([&] {
      keel::v1::AttachRequest message;
      while (stream->Read(&message)) {
        if (message.has_resize())
          (void)containers_.resize(id, "", message.resize().cols(), message.resize().rows());
        else if (message.close_stdin())
          relay->close_stdin();
        else if (!message.stdin().empty())
          relay->write_stdin(message.stdin());
      }
      client_gone = true;
    });
    relay->pump(
        [&](bool is_stderr, std::string_view bytes) {
          return (!is_stderr || start.stderr() || !start.stdout()) ? sender.output(is_stderr, bytes)
                                                                   : true;
        },
        [&] { return client_gone.load() || context->IsCancelled(); });
    grpc::Status status = grpc::Status::OK;
    if (!client_gone && !context->IsCancelled()) {
      auto done = containers_.wait(id, [&] { return context->IsCancelled(); });
      keel::v1::IoMessage last;
      last.set_exit_code(done ? done->state.exit_code : 255);
      sender.send(last);
    }
    finish_input(context, client_gone);
    input.join();
    return status;
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
    auto relay = StdioRelay::open(handle->stdio, request.attach_stdin);
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
    Sender sender(stream);
    keel::v1::IoMessage hello;
    hello.set_exec_id(handle->exec_id);
    sender.send(hello);
    if (start.has_size() && start.size().cols() > 0 && request.tty)
      (void)containers_.resize(handle->container_id, handle->exec_id, start.size().cols(),
                               start.size().rows());
    if (start.detach()) {
      // Nobody reads its output: the shim drops what the fifos cannot hold.
      std::thread([this, h = *handle] { (void)containers_.wait_exec(h); }).detach();
      return grpc::Status::OK;
    }
    std::atomic<bool> client_gone = false;
    std::thread input([&] {
      keel::v1::ExecRequest message;
      while (stream->Read(&message)) {
        if (message.has_resize())
          (void)containers_.resize(handle->container_id, handle->exec_id, message.resize().cols(),
                                   message.resize().rows());
        else if (message.close_stdin())
          relay->close_stdin();
        else if (!message.stdin().empty())
          relay->write_stdin(message.stdin());
      }
      client_gone = true;
    });
    relay->pump(
        [&](bool is_stderr, std::string_view bytes) { return sender.output(is_stderr, bytes); },
        [&] { return client_gone.load() || context->IsCancelled(); });
    auto code = containers_.wait_exec(*handle);
    keel::v1::IoMessage last;
    last.set_exit_code(code ? *code : 126);
    sender.send(last);
    finish_input(context, client_gone);
    input.join();
    return grpc::Status::OK;
  });
}

grpc::Status TasksService::Top(grpc::ServerContext*, const keel::v1::TopRequest* request,
                               keel::v1::TopResponse* response) {
  return guarded([&] {
    auto pids = containers_.pids(request->id());
    if (!pids)
      return to_status(pids.error());
    // The host's ps, found on a fixed path list: keeld's PATH is not trusted for it.
    std::string ps = "/usr/bin/ps";
    for (const char* candidate : {"/usr/bin/ps", "/bin/ps", "/usr/local/bin/ps"})
      if (::access(candidate, X_OK) == 0) {
        ps = candidate;
        break;
      }
    std::vector<std::string> argv = {ps};
    if (request->ps_args().empty())
      argv.push_back("-ef");
    for (const auto& arg : request->ps_args())
      argv.push_back(arg);
    auto output = capture(argv);
    if (!output)
      return to_status(output.error());
    std::istringstream lines(*output);
    std::string header;
    std::getline(lines, header);
    std::istringstream titles(header);
    std::string title;
    int pid_column = -1;
    while (titles >> title) {
      if (title == "PID")
        pid_column = response->titles_size();
      response->add_titles(title);
    }
    if (pid_column < 0)
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "Couldn't find PID field in ps output");
    const std::set<int> wanted(pids->begin(), pids->end());
    std::string line;
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::vector<std::string> cells;
      std::string cell;
      // The last column (the command) keeps its spaces.
      for (int i = 0; i + 1 < response->titles_size() && fields >> cell; ++i)
        cells.push_back(cell);
      std::string rest;
      std::getline(fields, rest);
      const auto first = rest.find_first_not_of(' ');
      cells.push_back(first == std::string::npos ? "" : rest.substr(first));
      if (static_cast<int>(cells.size()) <= pid_column)
        continue;
      int pid = 0;
      try {
        pid = std::stoi(cells[static_cast<std::size_t>(pid_column)]);
      } catch (const std::exception&) {
        continue;
      }
      if (!wanted.contains(pid))
        continue;
      auto* row = response->add_processes();
      for (auto& value : cells)
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
