// Shared lifecycle helpers.
#include "runtime/lifecycle/lifecycle_internal.h"

#include <sys/wait.h>

#include <array>

#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "oci-spec/state.h"

namespace keel::runtime {

Result<oci::RuntimeConfig> load_saved_config(const ContainerDir& dir) {
  auto text = fs::read_file(dir.config_path());
  if (!text)
    return text.error();
  return oci::parse_config(*text);
}

std::string state_document(const ContainerRecord& record, Status status) {
  oci::State state;
  state.oci_version = std::string(oci::kOciVersion);
  state.id = record.id;
  state.status = status_name(status);
  state.pid = status == Status::kStopped ? 0 : record.pid;
  state.bundle = record.bundle;
  state.annotations = record.annotations;
  return oci::to_json(state);
}

void warn(const Error& error) {
  spdlog::warn("{}", error.message());
}

namespace {

constexpr std::array kForwarded{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};

}  // namespace

int exit_code_of(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 255;
}

ForwardedSignals::ForwardedSignals() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGCHLD);
  for (int sig : kForwarded)
    sigaddset(&set_, sig);
  ::sigprocmask(SIG_BLOCK, &set_, &old_);
}

ForwardedSignals::~ForwardedSignals() {
  ::sigprocmask(SIG_SETMASK, &old_, nullptr);
}

Result<int> ForwardedSignals::wait_for(pid_t pid) {
  for (;;) {
    siginfo_t info{};
    if (::sigwaitinfo(&set_, &info) < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("wait for signals");
    }
    if (info.si_signo != SIGCHLD) {
      // ESRCH when the process exited meanwhile: its SIGCHLD follows.
      (void)::kill(pid, info.si_signo);
      continue;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return exit_code_of(status);
  }
}

}  // namespace keel::runtime
