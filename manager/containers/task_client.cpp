#include "manager/containers/task_client.h"

#include <sys/socket.h>

#include "containerd/runc/v1/options.pb.h"
#include "containerd/task/v2/shim.pb.h"
#include "shimapi/exit_file.h"

namespace keel::manager::containers {
namespace {

namespace v2 = containerd::task::v2;
constexpr const char* kTaskService = "containerd.task.v2.Task";
constexpr auto kCallTimeout = std::chrono::seconds(60);
// Wait returns when the process exits, however long that takes.
constexpr auto kWaitTimeout = std::chrono::hours(24 * 365);

std::int64_t ns_of(const keel::wkt::Timestamp& t) {
  return t.seconds() * 1'000'000'000 + t.nanos();
}

Errc errc_of(ttrpc::Code code) {
  using ttrpc::Code;
  switch (code) {
    case Code::kNotFound:
      return Errc::kNotFound;
    case Code::kAlreadyExists:
      return Errc::kAlreadyExists;
    case Code::kInvalidArgument:
      return Errc::kInvalidArgument;
    case Code::kFailedPrecondition:
      return Errc::kFailedPrecondition;
    case Code::kUnavailable:
      return Errc::kUnavailable;
    default:
      return Errc::kInternal;
  }
}

const char* status_word(int status) {
  switch (status) {
    case 1:
      return "created";
    case 2:
      return "running";
    case 3:
      return "stopped";
    case 4:
      return "paused";
    case 5:
      return "pausing";
    default:
      return "unknown";
  }
}

}  // namespace

TaskClient::TaskClient(ttrpc::Client client) : client_(std::move(client)) {}

Result<std::string> TaskClient::launch(const ShimLaunch& launch) {
  return shimapi::launch_daemon(launch);
}

Result<TaskClient> TaskClient::connect(const std::string& address) {
  auto client = ttrpc::Client::connect(address);
  if (!client)
    return std::move(client).error().context("connecting to the shim at " + address);
  return TaskClient(std::move(*client));
}

template <class Request, class Response>
Result<Response> TaskClient::call(const char* method, const Request& request,
                                  std::chrono::milliseconds timeout) {
  auto answer = client_->call(kTaskService, method, request.SerializeAsString(), timeout);
  if (!answer)
    return std::move(answer).error().context(std::string("shim ") + method);
  if (!answer->status.ok())
    return Error::of(errc_of(answer->status.code), answer->status.message);
  Response response;
  if (!response.ParseFromString(answer->payload))
    return Error::of(Errc::kInternal, std::string("shim ") + method + ": malformed response");
  return response;
}

Result<int> TaskClient::create(const std::string& id, const std::string& bundle,
                               const TaskStdio& stdio, const std::string& runtime,
                               const std::string& runtime_root) {
  v2::CreateTaskRequest request;
  request.set_id(id);
  request.set_bundle(bundle);
  request.set_terminal(stdio.terminal);
  request.set_stdin(stdio.stdin_path);
  request.set_stdout(stdio.stdout_path);
  request.set_stderr(stdio.stderr_path);
  containerd::runc::v1::Options options;
  options.set_binary_name(runtime);
  options.set_root(runtime_root);
  request.mutable_options()->set_type_url("containerd.runc.v1.Options");
  request.mutable_options()->set_value(options.SerializeAsString());
  auto response =
      call<v2::CreateTaskRequest, v2::CreateTaskResponse>("Create", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return static_cast<int>(response->pid());
}

Result<int> TaskClient::start(const std::string& id, const std::string& exec_id) {
  v2::StartRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = call<v2::StartRequest, v2::StartResponse>("Start", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return static_cast<int>(response->pid());
}

Result<void> TaskClient::kill(const std::string& id, int signal, bool all,
                              const std::string& exec_id) {
  v2::KillRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_signal(static_cast<std::uint32_t>(signal));
  request.set_all(all);
  auto response = call<v2::KillRequest, keel::wkt::Empty>("Kill", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<TaskExit> TaskClient::wait(const std::string& id, const std::string& exec_id) {
  v2::WaitRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = call<v2::WaitRequest, v2::WaitResponse>("Wait", request, kWaitTimeout);
  if (!response)
    return std::move(response).error();
  return TaskExit{.pid = 0,
                  .exit_status = static_cast<int>(response->exit_status()),
                  .exited_at_ns = ns_of(response->exited_at())};
}

Result<TaskState> TaskClient::state(const std::string& id, const std::string& exec_id) {
  v2::StateRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = call<v2::StateRequest, v2::StateResponse>("State", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return TaskState{.pid = static_cast<int>(response->pid()),
                   .status = status_word(response->status()),
                   .exit_status = static_cast<int>(response->exit_status()),
                   .exited_at_ns = ns_of(response->exited_at())};
}

Result<std::vector<int>> TaskClient::pids(const std::string& id) {
  v2::PidsRequest request;
  request.set_id(id);
  auto response = call<v2::PidsRequest, v2::PidsResponse>("Pids", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  std::vector<int> out;
  for (const auto& process : response->processes())
    out.push_back(static_cast<int>(process.pid()));
  return out;
}

Result<void> TaskClient::pause(const std::string& id) {
  v2::PauseRequest request;
  request.set_id(id);
  auto response = call<v2::PauseRequest, keel::wkt::Empty>("Pause", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<void> TaskClient::resume(const std::string& id) {
  v2::ResumeRequest request;
  request.set_id(id);
  auto response = call<v2::ResumeRequest, keel::wkt::Empty>("Resume", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<void> TaskClient::exec(const std::string& id, const std::string& exec_id,
                              const TaskStdio& stdio, const std::string& process_json) {
  v2::ExecProcessRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_terminal(stdio.terminal);
  request.set_stdin(stdio.stdin_path);
  request.set_stdout(stdio.stdout_path);
  request.set_stderr(stdio.stderr_path);
  request.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Process");
  request.mutable_spec()->set_value(process_json);
  auto response = call<v2::ExecProcessRequest, keel::wkt::Empty>("Exec", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<void> TaskClient::resize(const std::string& id, const std::string& exec_id,
                                std::uint32_t width, std::uint32_t height) {
  v2::ResizePtyRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_width(width);
  request.set_height(height);
  auto response = call<v2::ResizePtyRequest, keel::wkt::Empty>("ResizePty", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<void> TaskClient::close_stdin(const std::string& id, const std::string& exec_id) {
  v2::CloseIORequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  request.set_stdin(true);
  auto response = call<v2::CloseIORequest, keel::wkt::Empty>("CloseIO", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<TaskExit> TaskClient::remove(const std::string& id, const std::string& exec_id) {
  v2::DeleteRequest request;
  request.set_id(id);
  request.set_exec_id(exec_id);
  auto response = call<v2::DeleteRequest, v2::DeleteResponse>("Delete", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return TaskExit{.pid = static_cast<int>(response->pid()),
                  .exit_status = static_cast<int>(response->exit_status()),
                  .exited_at_ns = ns_of(response->exited_at())};
}

Result<void> TaskClient::update(const std::string& id, const std::string& resources_json) {
  v2::UpdateTaskRequest request;
  request.set_id(id);
  request.mutable_resources()->set_type_url(
      "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources");
  request.mutable_resources()->set_value(resources_json);
  auto response = call<v2::UpdateTaskRequest, keel::wkt::Empty>("Update", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return {};
}

Result<void> TaskClient::shutdown(const std::string& id) {
  v2::ShutdownRequest request;
  request.set_id(id);
  auto answer = client_->call(kTaskService, "Shutdown", request.SerializeAsString(), kCallTimeout);
  // The shim may exit before it answers: a closed connection is success here.
  if (answer && !answer->status.ok())
    return Error::of(errc_of(answer->status.code), answer->status.message);
  return {};
}

Result<ShimInfo> TaskClient::connect_info(const std::string& id) {
  v2::ConnectRequest request;
  request.set_id(id);
  auto response = call<v2::ConnectRequest, v2::ConnectResponse>("Connect", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return ShimInfo{static_cast<int>(response->shim_pid()), static_cast<int>(response->task_pid()),
                  response->version()};
}

Result<TaskStats> TaskClient::stats(const std::string& id) {
  v2::StatsRequest request;
  request.set_id(id);
  auto response = call<v2::StatsRequest, v2::StatsResponse>("Stats", request, kCallTimeout);
  if (!response)
    return std::move(response).error();
  return TaskStats{response->stats().type_url(), response->stats().value()};
}

std::optional<TaskExit> TaskClient::read_exit_file(const std::string& bundle,
                                                   const std::string& exec_id) {
  auto record = shimapi::read_exit_file(shimapi::exit_file_path(bundle, exec_id));
  if (!record)
    return std::nullopt;
  return TaskExit{record->pid, static_cast<int>(record->status), record->exited_at_ns};
}

void TaskClient::interrupt() {
  if (client_)
    ::shutdown(client_->fd(), SHUT_RDWR);
}

}  // namespace keel::manager::containers
