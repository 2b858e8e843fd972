// TaskService: one handler per rpc of containerd.task.v2.Task, proto <-> core types.
#include "shim/task_service.h"

#include <unistd.h>

#include "containerd/runc/v1/options.pb.h"
#include "containerd/task/v2/shim.pb.h"
#include "keel/wkt/empty.pb.h"
#include "shim/metrics.h"

namespace keel::shim {
namespace {

namespace v2 = containerd::task::v2;
using ttrpc::Code;
using ttrpc::Reply;
using ttrpc::Status;

void set_time(keel::wkt::Timestamp* t, std::int64_t ns) {
  t->set_seconds(ns / 1000000000);
  t->set_nanos(static_cast<std::int32_t>(ns % 1000000000));
}

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Registers `rpc` for Req: parse errors become InvalidArgument before the handler runs.
template <class Req>
void handle(ttrpc::Server& server, const char* method,
            std::function<void(const Req&, const Reply&)> fn) {
  server.register_method(
      kTaskService, method,
      [fn = std::move(fn), method](const std::string& payload, const Reply& r) {
        Req req;
        if (!req.ParseFromString(payload)) {
          r.send({Code::kInvalidArgument, std::string(method) + ": request does not parse"});
          return;
        }
        fn(req, r);
      });
}

void reply_error(const Reply& r, const Error& e) {
  r.send(Status::from(e));
}

template <class Resp>
void reply_ok(const Reply& r, const Resp& resp) {
  r.ok(resp.SerializeAsString());
}

void reply_empty(const Reply& r, const Result<void>& result) {
  if (!result)
    return reply_error(r, result.error());
  reply_ok(r, keel::wkt::Empty());
}

io::StdioPaths stdio_of(const std::string& in, const std::string& out, const std::string& err,
                        bool terminal) {
  return io::StdioPaths{in, out, err, terminal, {}};
}

}  // namespace

void TaskService::register_with(ttrpc::Server& server) {
  register_lifecycle(server);
  register_queries(server);
}

// Create, Start, State, Kill, Exec, ResizePty, CloseIO, Wait: a process's life.
void TaskService::register_lifecycle(ttrpc::Server& server) {
  handle<v2::CreateTaskRequest>(server, "Create", [this](const auto& req, const Reply& r) {
    CreateOptions o;
    o.id = req.id();
    o.bundle = req.bundle();
    o.stdio = stdio_of(req.stdin(), req.stdout(), req.stderr(), req.terminal());
    for (const auto& m : req.rootfs())
      o.rootfs.push_back(MountSpec{m.type(), m.source(), {m.options().begin(), m.options().end()}});
    if (req.has_options() && ends_with(req.options().type_url(), "containerd.runc.v1.Options")) {
      containerd::runc::v1::Options opts;
      if (opts.ParseFromString(req.options().value())) {
        o.runtime_binary = opts.binary_name();
        o.runtime_root = opts.root();
      }
    }
    if (!req.checkpoint().empty())
      return r.send({Code::kUnimplemented, "checkpoint/restore is not supported"});
    auto pid = task_.create(o);
    if (!pid)
      return reply_error(r, pid.error());
    v2::CreateTaskResponse resp;
    resp.set_pid(static_cast<std::uint32_t>(*pid));
    reply_ok(r, resp);
  });
  handle<v2::StartRequest>(server, "Start", [this](const auto& req, const Reply& r) {
    auto pid = task_.start(req.id(), req.exec_id());
    if (!pid)
      return reply_error(r, pid.error());
    v2::StartResponse resp;
    resp.set_pid(static_cast<std::uint32_t>(*pid));
    reply_ok(r, resp);
  });
  handle<v2::StateRequest>(server, "State", [this](const auto& req, const Reply& r) {
    auto s = task_.state(req.id(), req.exec_id());
    if (!s)
      return reply_error(r, s.error());
    v2::StateResponse resp;
    resp.set_id(s->exec_id.empty() ? req.id() : s->exec_id);
    resp.set_bundle(task_.bundle());
    resp.set_pid(static_cast<std::uint32_t>(s->pid));
    resp.set_status(static_cast<containerd::v1::types::Status>(s->status));
    resp.set_stdin(s->stdio.stdin_path);
    resp.set_stdout(s->stdio.stdout_path);
    resp.set_stderr(s->stdio.stderr_path);
    resp.set_terminal(s->stdio.terminal);
    resp.set_exit_status(s->exit_status);
    if (s->exited_at_ns != 0)
      set_time(resp.mutable_exited_at(), s->exited_at_ns);
    resp.set_exec_id(s->exec_id);
    reply_ok(r, resp);
  });
  handle<v2::KillRequest>(server, "Kill", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.kill(req.id(), req.exec_id(), static_cast<int>(req.signal()), req.all()));
  });
  handle<v2::ExecProcessRequest>(server, "Exec", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.exec(req.id(), req.exec_id(),
                              stdio_of(req.stdin(), req.stdout(), req.stderr(), req.terminal()),
                              req.spec().value()));
  });
  handle<v2::ResizePtyRequest>(server, "ResizePty", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.resize_pty(req.id(), req.exec_id(), req.width(), req.height()));
  });
  handle<v2::CloseIORequest>(server, "CloseIO", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.close_io(req.id(), req.exec_id(), req.stdin()));
  });
  handle<v2::WaitRequest>(server, "Wait", [this](const auto& req, const Reply& r) {
    auto waiting = task_.wait(req.id(), req.exec_id(), [r](const shimapi::ExitRecord& exit) {
      v2::WaitResponse resp;
      resp.set_exit_status(exit.status);
      set_time(resp.mutable_exited_at(), exit.exited_at_ns);
      reply_ok(r, resp);
    });
    if (!waiting)
      reply_error(r, waiting.error());
  });
}

// Pids, Pause, Resume, Update, Delete, Stats, Checkpoint, Connect, Shutdown: the task as a whole.
void TaskService::register_queries(ttrpc::Server& server) {
  handle<v2::PidsRequest>(server, "Pids", [this](const auto& req, const Reply& r) {
    auto pids = task_.pids(req.id());
    if (!pids)
      return reply_error(r, pids.error());
    v2::PidsResponse resp;
    for (const auto& p : *pids) {
      auto* info = resp.add_processes();
      info->set_pid(static_cast<std::uint32_t>(p.pid));
      if (!p.exec_id.empty()) {
        containerd::runc::v1::ProcessDetails details;
        details.set_exec_id(p.exec_id);
        info->mutable_info()->set_type_url("containerd.runc.v1.ProcessDetails");
        info->mutable_info()->set_value(details.SerializeAsString());
      }
    }
    reply_ok(r, resp);
  });
  handle<v2::PauseRequest>(server, "Pause", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.pause(req.id()));
  });
  handle<v2::ResumeRequest>(server, "Resume", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.resume(req.id()));
  });
  handle<v2::UpdateTaskRequest>(server, "Update", [this](const auto& req, const Reply& r) {
    reply_empty(r, task_.update(req.id(), req.resources().value()));
  });
  handle<v2::DeleteRequest>(server, "Delete", [this](const auto& req, const Reply& r) {
    auto exit = task_.remove(req.id(), req.exec_id());
    if (!exit)
      return reply_error(r, exit.error());
    v2::DeleteResponse resp;
    resp.set_pid(static_cast<std::uint32_t>(exit->pid));
    resp.set_exit_status(exit->status);
    set_time(resp.mutable_exited_at(), exit->exited_at_ns);
    reply_ok(r, resp);
  });
  handle<v2::StatsRequest>(server, "Stats", [this](const auto& req, const Reply& r) {
    auto stats = task_.stats(req.id());
    auto metrics = stats ? metrics_from_stats(*stats, cgroup2_unified()) : std::move(stats).error();
    if (!metrics)
      return reply_error(r, metrics.error());
    v2::StatsResponse resp;
    resp.mutable_stats()->set_type_url(metrics->type_url);
    resp.mutable_stats()->set_value(std::move(metrics->value));
    reply_ok(r, resp);
  });
  handle<v2::CheckpointTaskRequest>(server, "Checkpoint", [](const auto&, const Reply& r) {
    r.send({Code::kUnimplemented, "checkpoint is not supported"});
  });
  handle<v2::ConnectRequest>(server, "Connect", [this](const auto&, const Reply& r) {
    v2::ConnectResponse resp;
    resp.set_shim_pid(static_cast<std::uint32_t>(::getpid()));
    resp.set_task_pid(static_cast<std::uint32_t>(task_.init_pid()));
    resp.set_version("keel-shim 0.1.0");
    reply_ok(r, resp);
  });
  handle<v2::ShutdownRequest>(server, "Shutdown", [this](const auto& req, const Reply& r) {
    // Before the reply: the shutdown gives up the socket's path, and a caller that has the
    // reply may bind the next shim there at once.
    if (task_.finished() || req.now())
      on_shutdown_();
    reply_ok(r, keel::wkt::Empty());
  });
}

}  // namespace keel::shim
