// Publisher: builds containerd.events messages, wraps them in Any (type URL = the proto name, as
// containerd's typeurl registry names them) and runs the publish binary for the queue head.
#include "shim/publisher.h"

#include <fcntl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "containerd/events/task.pb.h"
#include "google/protobuf/any.pb.h"
#include "shim/spawn.h"

namespace keel::shim {
namespace {

constexpr int kMaxAttempts = 5;

void set_time(google::protobuf::Timestamp* t, std::int64_t ns) {
  t->set_seconds(ns / 1000000000);
  t->set_nanos(static_cast<std::int32_t>(ns % 1000000000));
}

template <class Message>
std::string value_of(const Message& m) {
  return m.SerializeAsString();
}

}  // namespace

void Publisher::enqueue(std::string topic, std::string type_url, std::string value) {
  if (config_.binary.empty())
    return;
  google::protobuf::Any any;
  any.set_type_url(std::move(type_url));
  any.set_value(std::move(value));
  queue_.push_back(Item{std::move(topic), any.SerializeAsString(), 0});
  pump();
}

void Publisher::pump() {
  if (running_ > 0 || queue_.empty())
    return;
  Item& item = queue_.front();
  ++item.attempts;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    spdlog::warn("publish {}: {}", item.topic, Error::sys("pipe2").message());
    queue_.pop_front();
    return;
  }
  UniqueFd read_end(p[0]), write_end(p[1]);
  // An event is a few hundred bytes: it fits the pipe buffer, so this never blocks.
  if (auto r = fs::write_all(write_end.get(), item.any); !r)
    spdlog::warn("publish {}: {}", item.topic, r.error().message());
  write_end.reset();
  SpawnOptions o;
  o.argv = {config_.binary, "--address", config_.address, "publish",
            "--topic",      item.topic,  "--namespace",   config_.ns};
  o.stdin_fd = read_end.get();
  o.stderr_fd = STDERR_FILENO;
  auto pid = spawn(o);
  if (!pid) {
    spdlog::warn("publish {}: {}", item.topic, pid.error().message());
    queue_.pop_front();
    return pump();
  }
  running_ = *pid;
}

bool Publisher::on_exit(pid_t pid, int exit_code) {
  if (running_ <= 0 || pid != running_)
    return false;
  running_ = 0;
  if (!queue_.empty()) {
    if (exit_code == 0 || queue_.front().attempts >= kMaxAttempts) {
      if (exit_code != 0)
        spdlog::warn("publish {}: dropped after {} attempts (exit {})", queue_.front().topic,
                     queue_.front().attempts, exit_code);
      queue_.pop_front();
    }
  }
  pump();
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
