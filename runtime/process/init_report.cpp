// The init's state reports: pid from the parent, container hooks, seccomp listener hand-off.
// exec's child uses the same for its seccomp agent.
#include "runtime/process/init_report.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdint>

#include "common/unix_socket.h"
#include "runtime/process/hooks.h"
#include "runtime/process/process_setup.h"
#include "runtime/security/seccomp_notify.h"

namespace keel::runtime {
namespace {

// A fixed four bytes: the init reads exactly that and never waits for EOF, so its own inherited
// copy of the write end does not matter.
Result<pid_t> read_init_pid(int pid_fd) {
  std::int32_t pid = 0;
  auto* bytes = reinterpret_cast<char*>(&pid);
  size_t got = 0;
  while (got < sizeof pid) {
    const ssize_t n = ::read(pid_fd, bytes + got, sizeof pid - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read our pid from the runtime");
    if (n == 0)
      return Error::of(Errc::kUnavailable, "read our pid from the runtime: pipe closed");
    got += static_cast<size_t>(n);
  }
  return static_cast<pid_t>(pid);
}

}  // namespace

Result<void> ReportChannels::hand_over(pid_t pid) {
  listener.reset();
  if (!pid_write.valid())
    return {};
  pid_read.reset();
  const std::int32_t value = pid;
  if (::write(pid_write.get(), &value, sizeof value) != static_cast<ssize_t>(sizeof value))
    return Error::sys("send the child's pid");
  pid_write.reset();
  return {};
}

Result<ReportChannels> open_report_channels(bool wants_state, const oci::Seccomp* seccomp,
                                            bool seccomp_notifies, InitReport& report) {
  ReportChannels channels;
  const bool notify = seccomp != nullptr && seccomp_notifies;
  if (!notify && !wants_state)
    return channels;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  channels.pid_read.reset(fds[0]);
  channels.pid_write.reset(fds[1]);
  report.pid_fd = fds[0];
  if (notify) {
    if (!seccomp->listener_path || seccomp->listener_path->empty())
      return Error::of(Errc::kInvalidArgument,
                       "config.json: linux.seccomp.listenerPath: required by SCMP_ACT_NOTIFY");
    auto sock = connect_unix(*seccomp->listener_path);
    if (!sock)
      return std::move(sock).error().context("linux.seccomp.listenerPath");
    channels.listener = std::move(*sock);
    report.seccomp_listener = channels.listener.get();
    report.listener_metadata = seccomp->listener_metadata;
  }
  return channels;
}

Result<void> receive_init_pid(InitReport& report) {
  if (report.pid_fd < 0)
    return {};
  auto pid = read_init_pid(report.pid_fd);
  if (!pid)
    return pid.error();
  report.pid = *pid;
  if (report.state.pid == 0)
    report.state.pid = *pid;
  ::close(report.pid_fd);
  report.pid_fd = -1;
  return {};
}

Result<std::string> init_state_json(InitReport& report, const char* status) {
  if (report.state.pid == 0)
    return Error::of(Errc::kInternal, "container state: no pid from the runtime");
  report.state.status = status;
  return oci::to_json(report.state);
}

Result<void> run_init_hooks(InitReport& report, const std::vector<oci::Hook>& hooks,
                            std::string_view phase, const char* status) {
  if (hooks.empty())
    return {};
  auto state = init_state_json(report, status);
  if (!state)
    return state.error();
  auto ran = run_hooks(hooks, phase, *state);
  ::signal(SIGPIPE, SIG_DFL);
  return ran;
}

Result<void> load_seccomp_and_notify(InitReport& report, const security::SeccompProgram& program) {
  if (!program.uses_notify || report.seccomp_listener < 0) {
    auto loaded = security::load_bpf(program.bpf, program.load_flags);
    if (!loaded)
      return loaded.error();
    return {};
  }
  // Formatting happens before the filter is in place: only the send runs under it.
  auto state = init_state_json(report, report.agent_status.c_str());
  if (!state)
    return state.error();
  auto process_state =
      security::container_process_state(report.pid, report.listener_metadata, *state);
  if (!process_state)
    return process_state.error();
  auto notify = security::load_bpf(program.bpf, program.load_flags);
  if (!notify)
    return notify.error();
  auto sent = security::send_notify_fd_on(report.seccomp_listener, notify->get(), *process_state);
  ::close(report.seccomp_listener);
  report.seccomp_listener = -1;
  if (!sent)
    return std::move(sent).error().context("seccomp: send the listener fd");
  return {};
}

}  // namespace keel::runtime
