// Publisher: builds containerd.events messages, wraps them in Any (type URL = the proto name, as
// containerd's typeurl registry names them) and sends the queue head to containerd: an
// Events/Forward request on its ttrpc socket, or a run of its publish binary.
#include "shim/publisher.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <ctime>

#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/fs.h"
#include "containerd/events/task.pb.h"
#include "containerd/services/events/ttrpc/v1/events.pb.h"
#include "keel/wkt/any.pb.h"
#include "shimapi/spawn.h"
#include "shimapi/ttrpc/client.h"
#include "ttrpc/request.pb.h"

namespace keel::shim {
namespace {

constexpr int kMaxAttempts = 5;
constexpr std::int64_t kForwardTimeoutMs = 10000;
constexpr std::int64_t kRetryBaseMs = 50;
constexpr const char* kEventsService = "containerd.services.events.ttrpc.v1.Events";

void set_time(keel::wkt::Timestamp* t, std::int64_t ns) {
  t->set_seconds(ns / 1000000000);
  t->set_nanos(static_cast<std::int32_t>(ns % 1000000000));
}

template <class Message>
std::string value_of(const Message& m) {
  return m.SerializeAsString();
}

}  // namespace

Publisher::~Publisher() {
  close_socket();
  if (retry_ != 0)
    loop_.cancel_timer(retry_);
}

void Publisher::enqueue(std::string topic, std::string type_url, std::string value) {
  if (config_.binary.empty() && config_.ttrpc_address.empty())
    return;
  queue_.push_back(Item{std::move(topic), std::move(type_url), std::move(value), unix_now_ns(), 0});
  pump();
}

void Publisher::pump() {
  if (running_ > 0 || queue_.empty() || retry_ != 0)
    return;
  if (config_.ttrpc_address.empty())
    pump_binary();
  else
    pump_ttrpc();
}

void Publisher::pump_binary() {
  Item& item = queue_.front();
  ++item.attempts;
  keel::wkt::Any any;
  any.set_type_url(item.type_url);
  any.set_value(item.value);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    spdlog::warn("publish {}: {}", item.topic, Error::sys("pipe2").message());
    queue_.pop_front();
    return;
  }
  UniqueFd read_end(p[0]), write_end(p[1]);
  // An event is a few hundred bytes: it fits the pipe buffer, so this never blocks.
  if (auto r = fs::write_all(write_end.get(), any.SerializeAsString()); !r)
    spdlog::warn("publish {}: {}", item.topic, r.error().message());
  write_end.reset();
  shimapi::SpawnOptions o;
  o.argv = {config_.binary, "--address", config_.address, "publish",
            "--topic",      item.topic,  "--namespace",   config_.ns};
  o.stdin_fd = read_end.get();
  o.stderr_fd = STDERR_FILENO;
  auto pid = shimapi::spawn(o);
  if (!pid) {
    spdlog::warn("publish {}: {}", item.topic, pid.error().message());
    queue_.pop_front();
    return pump();
  }
  running_ = *pid;
}

void Publisher::pump_ttrpc() {
  Item& item = queue_.front();
  ++item.attempts;
  if (!sock_.valid()) {
    auto fd = ttrpc::dial(config_.ttrpc_address, true);
    if (!fd)
      return finish(false, fd.error().message());
    sock_ = std::move(*fd);
    decoder_ = ttrpc::FrameDecoder();
    if (auto r = loop_.add(sock_.get(), EPOLLIN, [this](std::uint32_t ev) { on_socket(ev); }); !r) {
      sock_.reset();
      return finish(false, r.error().message());
    }
  }
  containerd::services::events::ttrpc::v1::ForwardRequest forward;
  auto* envelope = forward.mutable_envelope();
  set_time(envelope->mutable_timestamp(), item.at_ns);
  envelope->set_namespace_(config_.ns);
  envelope->set_topic(item.topic);
  envelope->mutable_event()->set_type_url(item.type_url);
  envelope->mutable_event()->set_value(item.value);
  ::ttrpc::Request request;
  request.set_service(kEventsService);
  request.set_method("Forward");
  request.set_payload(forward.SerializeAsString());
  request.set_timeout_nano(kForwardTimeoutMs * 1000000);
  stream_ += 2;
  auto frame =
      ttrpc::encode_frame(stream_, ttrpc::MessageType::kRequest, 0, request.SerializeAsString());
  if (!frame)
    return finish(false, frame.error().message());
  out_ = std::move(*frame);
  running_ = 1;
  deadline_ = loop_.add_timer(kForwardTimeoutMs, [this] {
    deadline_ = 0;
    close_socket();
    finish(false, "no answer from containerd");
  });
  on_socket(EPOLLOUT);
}

void Publisher::on_socket(std::uint32_t events) {
  if ((events & EPOLLOUT) != 0 && !out_.empty()) {
    const ssize_t n = ::send(sock_.get(), out_.data(), out_.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      const std::string why = Error::sys("send").message();
      close_socket();
      return finish(false, why);
    }
    if (n > 0)
      out_.erase(0, static_cast<std::size_t>(n));
    if (auto r = loop_.modify(sock_.get(), out_.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT); !r) {
      close_socket();
      return finish(false, r.error().message());
    }
  }
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0)
    return;
  std::array<char, 1024> buf{};
  const ssize_t n = ::recv(sock_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n <= 0) {
    const std::string why =
        n == 0 ? "containerd closed the connection" : Error::sys("recv").message();
    close_socket();
    if (running_ > 0)
      finish(false, why);
    return;
  }
  decoder_.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  while (auto frame = decoder_.next()) {
    if (running_ <= 0 || frame->stream_id != stream_ ||
        frame->type != static_cast<std::uint8_t>(ttrpc::MessageType::kResponse))
      continue;
    ::ttrpc::Response response;
    if (!response.ParseFromString(frame->data))
      return finish(false, "the response does not parse");
    if (response.status().code() != 0)
      return finish(false, response.status().message());
    return finish(true, {});
  }
}

void Publisher::finish(bool ok, const std::string& why) {
  if (deadline_ != 0) {
    loop_.cancel_timer(deadline_);
    deadline_ = 0;
  }
  running_ = 0;
  out_.clear();
  if (queue_.empty())
    return;
  if (ok || queue_.front().attempts >= kMaxAttempts) {
    if (!ok)
      spdlog::warn("publish {}: dropped after {} attempts: {}", queue_.front().topic,
                   queue_.front().attempts, why);
    queue_.pop_front();
  } else if (!config_.ttrpc_address.empty()) {
    // A failed connection or request is retried after a pause, on a new connection.
    spdlog::debug("publish {}: {}; retrying", queue_.front().topic, why);
    close_socket();
    retry_ = loop_.add_timer(kRetryBaseMs << queue_.front().attempts, [this] {
      retry_ = 0;
      pump();
    });
    return;
  }
  if (queue_.empty())
    close_socket();
  pump();
}

void Publisher::close_socket() {
  if (!sock_.valid())
    return;
  loop_.remove(sock_.get());
  sock_.reset();
  out_.clear();
}

bool Publisher::on_exit(pid_t pid, int exit_code) {
  if (!config_.ttrpc_address.empty() || running_ <= 0 || pid != running_)
    return false;
  finish(exit_code == 0, "exit " + std::to_string(exit_code));
  return true;
}

void Publisher::task_create(const std::string& id, const std::string& bundle,
                            const std::vector<MountSpec>& rootfs, const io::StdioPaths& stdio,
                            pid_t pid) {
  containerd::events::TaskCreate e;
  e.set_container_id(id);
  e.set_bundle(bundle);
  for (const auto& m : rootfs) {
    auto* pm = e.add_rootfs();
    pm->set_type(m.type);
    pm->set_source(m.source);
    for (const auto& o : m.options)
      pm->add_options(o);
  }
  e.mutable_io()->set_stdin(stdio.stdin_path);
  e.mutable_io()->set_stdout(stdio.stdout_path);
  e.mutable_io()->set_stderr(stdio.stderr_path);
  e.mutable_io()->set_terminal(stdio.terminal);
  e.set_pid(static_cast<std::uint32_t>(pid));
  enqueue("/tasks/create", "containerd.events.TaskCreate", value_of(e));
}

void Publisher::task_start(const std::string& id, pid_t pid) {
  containerd::events::TaskStart e;
  e.set_container_id(id);
  e.set_pid(static_cast<std::uint32_t>(pid));
  enqueue("/tasks/start", "containerd.events.TaskStart", value_of(e));
}

void Publisher::task_exit(const std::string& id, const std::string& exec_id, pid_t pid,
                          std::uint32_t status, std::int64_t exited_at_ns) {
  containerd::events::TaskExit e;
  e.set_container_id(id);
  e.set_id(exec_id.empty() ? id : exec_id);
  e.set_pid(static_cast<std::uint32_t>(pid));
  e.set_exit_status(status);
  set_time(e.mutable_exited_at(), exited_at_ns);
  enqueue("/tasks/exit", "containerd.events.TaskExit", value_of(e));
}

void Publisher::task_exec_added(const std::string& id, const std::string& exec_id) {
  containerd::events::TaskExecAdded e;
  e.set_container_id(id);
  e.set_exec_id(exec_id);
  enqueue("/tasks/exec-added", "containerd.events.TaskExecAdded", value_of(e));
}

void Publisher::task_exec_started(const std::string& id, const std::string& exec_id, pid_t pid) {
  containerd::events::TaskExecStarted e;
  e.set_container_id(id);
  e.set_exec_id(exec_id);
  e.set_pid(static_cast<std::uint32_t>(pid));
  enqueue("/tasks/exec-started", "containerd.events.TaskExecStarted", value_of(e));
}

void Publisher::task_paused(const std::string& id) {
  containerd::events::TaskPaused e;
  e.set_container_id(id);
  enqueue("/tasks/paused", "containerd.events.TaskPaused", value_of(e));
}

void Publisher::task_resumed(const std::string& id) {
  containerd::events::TaskResumed e;
  e.set_container_id(id);
  enqueue("/tasks/resumed", "containerd.events.TaskResumed", value_of(e));
}

void Publisher::task_delete(const std::string& id, pid_t pid, std::uint32_t status,
                            std::int64_t exited_at_ns) {
  containerd::events::TaskDelete e;
  e.set_container_id(id);
  e.set_pid(static_cast<std::uint32_t>(pid));
  e.set_exit_status(status);
  set_time(e.mutable_exited_at(), exited_at_ns);
  enqueue("/tasks/delete", "containerd.events.TaskDelete", value_of(e));
}

void Publisher::task_oom(const std::string& id) {
  containerd::events::TaskOOM e;
  e.set_container_id(id);
  enqueue("/tasks/oom", "containerd.events.TaskOOM", value_of(e));
}

}  // namespace keel::shim
