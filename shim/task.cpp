// Task: Create/Start/Exec/Kill/Delete... on top of RuntimeClient and ProcessIo; exits come in
// through on_exit() from the reaper and go out as exit files, waiter replies and TaskExit events.
#include "shim/task.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "common/fs.h"
#include "shim/io/console.h"
#include "shim/io/cri_log.h"
#include "shim/linked_runtime.h"
#include "shimapi/spawn.h"

namespace keel::shim {
namespace {

// Output a process's leftover children still hold open is cut this long after its exit, so a
// client waiting for EOF on the fifo is not held forever by a background job.
constexpr std::int64_t kOutputGraceMs = 2000;

Result<pid_t> read_pid_file(const std::string& path) {
  auto text = fs::read_file(path);
  if (!text)
    return std::move(text).error();
  pid_t pid = 0;
  const auto parsed = std::from_chars(text->data(), text->data() + text->size(), pid);
  if (parsed.ec == std::errc() && pid > 0)
    return pid;
  return Error::of(Errc::kInternal, "pid file \"" + path + "\" holds no pid");
}

// Pipes, or a console socket whose master is attached once the runtime has sent it.
struct PreparedIo {
  std::unique_ptr<io::ProcessIo> pipes;
  std::optional<io::ConsoleSocket> console;
  [[nodiscard]] RuntimeStdio stdio() const {
    if (!pipes)
      return {};
    return {pipes->child_stdin(), pipes->child_stdout(), pipes->child_stderr()};
  }
  [[nodiscard]] std::string console_path() const { return console ? console->path() : ""; }
};

Result<PreparedIo> prepare_io(EventLoop& loop, const io::StdioPaths& stdio) {
  PreparedIo prepared;
  if (stdio.terminal) {
    auto console = io::ConsoleSocket::create();
    if (!console)
      return std::move(console).error();
    prepared.console.emplace(std::move(*console));
    return prepared;
  }
  auto pipes = io::ProcessIo::with_pipes(loop, stdio);
  if (!pipes)
    return std::move(pipes).error();
  prepared.pipes = std::move(*pipes);
  return prepared;
}

Result<std::unique_ptr<io::ProcessIo>> finish_io(EventLoop& loop, const io::StdioPaths& stdio,
                                                 PreparedIo& prepared) {
  if (!prepared.console) {
    prepared.pipes->close_child_ends();
    return std::move(prepared.pipes);
  }
  auto master = prepared.console->receive_master();
  if (!master)
    return std::move(master).error();
  return io::ProcessIo::with_console(loop, stdio, std::move(*master));
}

}  // namespace

std::string runtime_file_path(const std::string& state_dir) {
  return state_dir + "/runtime.json";
}

Task::Task(EventLoop& loop, EventSink& events, TaskConfig config)
    : loop_(loop), events_(events), config_(std::move(config)) {}

Task::~Task() = default;

std::string Task::path(const std::string& name) const {
  return config_.state_dir + "/" + name;
}

Result<Process*> Task::find(const std::string& id, const std::string& exec_id) {
  if (!init_ || deleted_ || id != id_)
    return Error::of(Errc::kNotFound, "task \"" + id + "\" not found");
  if (exec_id.empty())
    return init_.get();
  auto it = execs_.find(exec_id);
  if (it == execs_.end())
    return Error::of(Errc::kNotFound, "exec process \"" + exec_id + "\" not found");
  return it->second.get();
}

Result<pid_t> Task::create(const CreateOptions& o) {
  if (init_)
    return Error::of(Errc::kAlreadyExists, "task \"" + id_ + "\" already exists");
  // The manager's CRI log rides in config.json: containerd's Create request has no field for it.
  io::StdioPaths stdio = o.stdio;
  auto log_path = io::cri_log_path_of_bundle(o.bundle);
  if (!log_path)
    return std::move(log_path).error().context("create \"" + o.id + "\"");
  stdio.log_path = std::move(*log_path);
  RuntimeConfig rc;
  rc.binary = o.runtime_binary.empty() ? config_.default_runtime : o.runtime_binary;
  rc.root = o.runtime_root.empty() ? config_.default_root : o.runtime_root;
  rc.log_path = path("runtime.log");
  rc.linked = linked_runtime::serves(rc.binary);
  KEEL_TRY(fs::mkdir_all(rc.root, 0711));
  const nlohmann::json saved = {{"binary", rc.binary}, {"root", rc.root}};
  KEEL_TRY(fs::write_file_atomic(runtime_file_path(config_.state_dir), saved.dump()));
  auto runtime = std::make_unique<RuntimeClient>(rc);

  const std::string rootfs = o.bundle + "/rootfs";
  if (!o.rootfs.empty())
    KEEL_TRY(mount_rootfs(o.rootfs, rootfs));
  auto undo_mount = [&] {
    if (o.rootfs.empty())
      return;
    // The create already failed with its own error; a rootfs left mounted is worth a line too.
    if (auto r = unmount_rootfs(rootfs); !r)
      spdlog::warn("create \"{}\": {}", o.id, r.error().message());
  };
  auto prepared = prepare_io(loop_, stdio);
  if (!prepared) {
    undo_mount();
    return std::move(prepared).error().context("create \"" + o.id + "\"");
  }
  const std::string pid_file = path("init.pid");
  if (auto r =
          runtime->create(o.id, o.bundle, pid_file, prepared->console_path(), prepared->stdio());
      !r) {
    undo_mount();
    return std::move(r).error();  // the runtime's own line already names the container
  }
  auto pid = read_pid_file(pid_file);
  auto io = pid ? finish_io(loop_, stdio, *prepared)
                : Result<std::unique_ptr<io::ProcessIo>>(pid.error());
  if (!pid || !io) {
    if (auto removed = runtime->remove(o.id, true); !removed)
      spdlog::warn("create \"{}\": cleaning up: {}", o.id, removed.error().message());
    undo_mount();
    return std::move(io).error().context("create \"" + o.id + "\"");
  }
  id_ = o.id;
  bundle_ = o.bundle;
  rootfs_ = o.rootfs;
  rootfs_mounted_ = !o.rootfs.empty();
  runtime_ = std::move(runtime);
  init_ = std::make_unique<Process>("", stdio);
  init_->set_created(*pid, std::move(*io));
  if (auto oom = OomWatcher::watch(loop_, *pid, [this] { events_.task_oom(id_); }))
    oom_ = std::move(*oom);
  else
    spdlog::debug("no OOM events for \"{}\": {}", id_, oom.error().message());
  events_.task_create(id_, bundle_, rootfs_, o.stdio, *pid);
  return *pid;
}

Result<pid_t> Task::start(const std::string& id, const std::string& exec_id) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  KEEL_TRY((*p)->check_can("start"));
  if (!(*p)->is_init()) {
    KEEL_TRY(start_exec(**p));
    return (*p)->pid();
  }
  KEEL_TRY(runtime_->start(id_));
  init_->set_running(init_->pid());
  events_.task_start(id_, init_->pid());
  return init_->pid();
}

Result<void> Task::start_exec(Process& p) {
  KEEL_TRY(init_->check_can("exec"));
  const std::string spec_file = path("exec-" + p.exec_id() + ".json");
  const std::string pid_file = path("exec-" + p.exec_id() + ".pid");
  KEEL_TRY(fs::write_file_atomic(spec_file, p.spec_json, 0600));
  auto prepared = prepare_io(loop_, p.stdio());
  if (!prepared) {
    ::unlink(spec_file.c_str());
    return std::move(prepared).error();
  }
  auto r = runtime_->exec(id_, spec_file, pid_file, prepared->console_path(), prepared->stdio());
  ::unlink(spec_file.c_str());
  if (!r)
    return std::move(r).error().context("exec \"" + p.exec_id() + "\"");
  auto pid = read_pid_file(pid_file);
  ::unlink(pid_file.c_str());
  if (!pid)
    return std::move(pid).error().context("exec \"" + p.exec_id() + "\"");
  auto io = finish_io(loop_, p.stdio(), *prepared);
  if (!io) {
    ::kill(*pid, SIGKILL);
    return std::move(io).error().context("exec \"" + p.exec_id() + "\"");
  }
  p.set_created(*pid, std::move(*io));
  p.set_running(*pid);
  p.spec_json.clear();
  events_.task_exec_started(id_, p.exec_id(), *pid);
  return {};
}

Result<ProcessState> Task::state(const std::string& id, const std::string& exec_id) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  return (*p)->state();
}

Result<void> Task::kill(const std::string& id, const std::string& exec_id, int signal, bool all) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  Process& proc = **p;
  if (proc.is_init() && all && proc.status() == ProcessStatus::kStopped)
    return runtime_->kill(id_, signal, true);  // leftovers of a dead init, as runc allows
  KEEL_TRY(proc.check_can("kill"));
  if (proc.is_init())
    return runtime_->kill(id_, signal, all);
  if (proc.pid() <= 0)
    return Error::of(Errc::kFailedPrecondition, "cannot kill an exec process not yet started");
  if (::kill(proc.pid(), signal) != 0)
    return Error::sys("kill exec process \"" + proc.exec_id() + "\"");
  return {};
}

Result<void> Task::exec(const std::string& id, const std::string& exec_id,
                        const io::StdioPaths& stdio, std::string spec_json) {
  auto p = find(id, "");
  if (!p)
    return std::move(p).error();
  if (exec_id.empty())
    return Error::of(Errc::kInvalidArgument, "exec: an exec id is required");
  if (execs_.count(exec_id) != 0)
    return Error::of(Errc::kAlreadyExists, "exec process \"" + exec_id + "\" already exists");
  KEEL_TRY(init_->check_can("exec"));
  auto proc = std::make_unique<Process>(exec_id, stdio);
  proc->spec_json = std::move(spec_json);
  proc->set_created(0, nullptr);
  execs_[exec_id] = std::move(proc);
  events_.task_exec_added(id_, exec_id);
  return {};
}

Result<void> Task::resize_pty(const std::string& id, const std::string& exec_id,
                              std::uint32_t width, std::uint32_t height) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  if ((*p)->io() == nullptr)
    return Error::of(Errc::kFailedPrecondition, "the process has no terminal");
  return (*p)->io()->resize(width, height);
}

Result<void> Task::close_io(const std::string& id, const std::string& exec_id, bool stdin) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  if (stdin && (*p)->io() != nullptr)
    (*p)->io()->close_stdin();
  return {};
}

Result<void> Task::wait(const std::string& id, const std::string& exec_id, WaitCallback done) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  (*p)->add_waiter(std::move(done));
  return {};
}

Result<std::vector<PidInfo>> Task::pids(const std::string& id) {
  KEEL_TRY(find(id, ""));
  auto pids = runtime_->ps(id_);
  if (!pids)
    return std::move(pids).error();
  std::vector<PidInfo> out;
  for (pid_t pid : *pids) {
    PidInfo info{pid, {}};
    for (const auto& [exec_id, p] : execs_)
      if (p->pid() == pid && p->status() != ProcessStatus::kStopped)
        info.exec_id = exec_id;
    out.push_back(std::move(info));
  }
  return out;
}

Result<std::string> Task::stats(const std::string& id) {
  KEEL_TRY(find(id, ""));
  KEEL_TRY(init_->check_can("update"));  // a cgroup exists from create until the exit
  return runtime_->stats(id_);
}

Result<void> Task::pause(const std::string& id) {
  KEEL_TRY(find(id, ""));
  KEEL_TRY(init_->check_can("pause"));
  KEEL_TRY(runtime_->pause(id_));
  init_->set_paused(true);
  events_.task_paused(id_);
  return {};
}

Result<void> Task::resume(const std::string& id) {
  KEEL_TRY(find(id, ""));
  KEEL_TRY(init_->check_can("resume"));
  KEEL_TRY(runtime_->resume(id_));
  init_->set_paused(false);
  events_.task_resumed(id_);
  return {};
}

Result<void> Task::update(const std::string& id, const std::string& resources_json) {
  KEEL_TRY(find(id, ""));
  KEEL_TRY(init_->check_can("update"));
  return runtime_->update(id_, resources_json);
}

Result<shimapi::ExitRecord> Task::remove(const std::string& id, const std::string& exec_id) {
  auto p = find(id, exec_id);
  if (!p)
    return std::move(p).error();
  Process& proc = **p;
  KEEL_TRY(proc.check_can("delete"));
  if (!proc.is_init()) {
    shimapi::ExitRecord record =
        proc.exit().value_or(shimapi::ExitRecord{proc.pid(), 0, unix_now_ns()});
    ::unlink(shimapi::exit_file_path(config_.state_dir, exec_id).c_str());
    execs_.erase(exec_id);
    return record;
  }
  KEEL_TRY(runtime_->remove(id_, true));
  oom_.reset();
  if (!init_->exit() && reap_)
    reap_();  // a created init was just killed: collect its real status
  if (rootfs_mounted_) {
    KEEL_TRY(unmount_rootfs(bundle_ + "/rootfs"));
    rootfs_mounted_ = false;
  }
  shimapi::ExitRecord record =
      init_->exit().value_or(shimapi::ExitRecord{init_->pid(), 128 + SIGKILL, unix_now_ns()});
  if (init_->io() != nullptr)
    init_->io()->finish();
  for (auto& [eid, e] : execs_)
    if (e->io() != nullptr)
      e->io()->finish();
  execs_.clear();
  deleted_ = true;
  events_.task_delete(id_, record.pid, record.status, record.exited_at_ns);
  return record;
}

void Task::on_exit(pid_t pid, int wait_status) {
  Process* p = nullptr;
  if (init_ && init_->pid() == pid && !init_->exit())
    p = init_.get();
  for (auto& [exec_id, e] : execs_)
    if (p == nullptr && e->pid() == pid && !e->exit())
      p = e.get();
  if (p == nullptr)
    return;
  const shimapi::ExitRecord record{
      pid, static_cast<std::uint32_t>(shimapi::exit_code_of(wait_status)), unix_now_ns()};
  if (auto r = shimapi::write_exit_file(shimapi::exit_file_path(config_.state_dir, p->exec_id()),
                                        record);
      !r)
    spdlog::warn("{}", r.error().message());
  if (p == init_.get() && oom_)
    oom_->check();
  p->set_exited(record);
  events_.task_exit(id_, p->exec_id(), pid, record.status, record.exited_at_ns);
  after_exit(*p);
}

void Task::after_exit(Process& p) {
  if (p.io() == nullptr || p.io()->output_done())
    return;
  // The process's pipes usually reach EOF by themselves; cut them if something else holds them.
  loop_.add_timer(kOutputGraceMs, [this, exec_id = p.exec_id()] {
    auto found = find(id_, exec_id);
    if (found && (*found)->io() != nullptr)
      (*found)->io()->finish();
  });
}

}  // namespace keel::shim
