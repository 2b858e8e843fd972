// The shim daemon: subreaper, signalfd, ttrpc server on the socket inherited as fd 3, the task,
// the publisher; one epoll loop until Shutdown (or SIGTERM), then the socket is removed.
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "common/log.h"
#include "shim/commands.h"
#include "shim/event_loop.h"
#include "shim/publisher.h"
#include "shim/task.h"
#include "shim/task_service.h"
#include "shim/ttrpc/server.h"
#include "shimapi/binary.h"
#include "shimapi/spawn.h"

namespace keel::shim {
namespace {

constexpr int kListenFd = 3;
// After Shutdown, the last reply and queued events get this long to go out.
constexpr std::int64_t kDrainMs = 10000;

// containerd reads the shim's log from a fifo named "log" in the bundle; without a reader (or
// without containerd) the shim logs to /dev/null. Non-blocking: a full fifo drops lines.
void attach_log_fifo(const std::string& dir) {
  UniqueFd fd(::open((dir + "/log").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.valid())
    ::dup2(fd.get(), STDERR_FILENO);
}

Result<std::string> listener_path(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
    return Error::of(Errc::kInvalidArgument,
                     "fd 3 is not the listening socket (run the shim through `start`)");
  sockaddr_un sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    return Error::sys("getsockname");
  if (len <= offsetof(sockaddr_un, sun_path) || sa.sun_path[0] == '\0')
    return std::string();
  return std::string(sa.sun_path);
}

Result<UniqueFd> block_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0)
    return Error::sys("sigprocmask");
  UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid())
    return Error::sys("signalfd");
  return fd;
}

}  // namespace

Result<int> run_daemon(const ShimOptions& o) {
  std::error_code ec;
  const std::string dir = std::filesystem::current_path(ec).string();
  if (ec)
    return Error::of(Errc::kInternal, "getcwd: " + ec.message());
  attach_log_fifo(dir);
  KEEL_TRY(log::setup({"", log::Format::kText, o.debug}));
  auto socket_path = listener_path(kListenFd);
  if (!socket_path)
    return std::move(socket_path).error();
  UniqueFd listener(kListenFd);
  if (::fcntl(listener.get(), F_SETFD, FD_CLOEXEC) != 0 ||
      ::fcntl(listener.get(), F_SETFL, O_NONBLOCK) != 0)
    return Error::sys("fcntl listening socket");
  // Orphans of the container (its init once `keel create` exits) come to the shim, not pid 1.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
    return Error::sys("prctl PR_SET_CHILD_SUBREAPER");
  ::signal(SIGPIPE, SIG_IGN);
  auto signals = block_signals();
  if (!signals)
    return std::move(signals).error();
  KEEL_TRY(fs::write_file_atomic(dir + "/shim.pid", std::to_string(::getpid()), 0644));

  auto loop = EventLoop::create();
  if (!loop)
    return std::move(loop).error();
  // containerd (1.6 on) names its ttrpc socket in the environment of `start`, which the daemon
  // inherits; with it, events go straight to containerd instead of through a process each.
  const char* ttrpc_address =
      std::getenv(shimapi::kTtrpcAddressEnv);  // NOLINT(concurrency-mt-unsafe)
  Publisher publisher(
      *loop, {o.publish_binary, o.address, o.ns, ttrpc_address != nullptr ? ttrpc_address : ""});
  ttrpc::Server server(*loop);
  Task task(*loop, publisher,
            TaskConfig{o.ns, dir, default_runtime_binary(), default_runtime_root(o.ns)});
  auto reap = [&] {
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0)
        return;
      if (!publisher.on_exit(pid, shimapi::exit_code_of(status)))
        task.on_exit(pid, status);
    }
  };
  task.set_reaper(reap);

  std::int64_t drain_deadline = 0;
  std::function<void()> check_drained = [&] {
    if ((server.flushed() && publisher.idle()) || monotonic_ms() > drain_deadline) {
      loop->stop();
      return;
    }
    // Checked each millisecond: containerd waits for the shim to go after Shutdown, and the
    // TaskDelete event usually is still on its way (one round trip) when Shutdown arrives.
    loop->add_timer(1, check_drained);
  };
  TaskService service(task, [&] {
    if (drain_deadline != 0)
      return;
    // The path goes now, before Shutdown's reply leaves: the next shim for this container (a
    // restart) binds the same path as soon as the manager has the reply, and must neither find
    // this shim still answering there nor have its new socket unlinked when this one exits.
    if (!socket_path->empty()) {
      ::unlink(socket_path->c_str());
      socket_path->clear();
    }
    drain_deadline = monotonic_ms() + kDrainMs;
    loop->add_timer(0, check_drained);
  });
  service.register_with(server);
  KEEL_TRY(server.listen(std::move(listener)));
  KEEL_TRY(loop->add(signals->get(), EPOLLIN, [&](std::uint32_t) {
    signalfd_siginfo si{};
    while (::read(signals->get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si)) {
      if (si.ssi_signo == SIGCHLD) {
        reap();
      } else {
        spdlog::info("shim \"{}\": signal {}, leaving the container running", o.id, si.ssi_signo);
        loop->stop();
      }
    }
  }));
  spdlog::debug("shim \"{}\" serving on \"{}\"", o.id, *socket_path);
  auto ran = loop->run();
  if (!socket_path->empty())
    ::unlink(socket_path->c_str());
  if (!ran)
    return std::move(ran).error();
  return 0;
}

}  // namespace keel::shim
