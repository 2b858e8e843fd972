// run_hooks: fork + execve per hook, state on a pipe, deadline through a pidfd.
#include "runtime/process/hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "common/fs.h"
#include "common/unique_fd.h"

namespace keel::runtime {
namespace {

Result<void> run_hook(const oci::Hook& hook, const std::string& state_json) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  std::vector<char*> argv;
  for (const auto& a : hook.args)
    argv.push_back(const_cast<char*>(a.c_str()));
  if (argv.empty())
    argv.push_back(const_cast<char*>(hook.path.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : hook.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0)
    return Error::sys("fork");
  if (pid == 0) {
    if (::dup2(read_end.get(), STDIN_FILENO) < 0)
      ::_exit(126);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(hook.path.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
  read_end.reset();
  // A hook that ignores stdin closes the pipe early: EPIPE is not its failure.
  ::signal(SIGPIPE, SIG_IGN);
  // A hook may exit without reading stdin (EPIPE): its exit status is the verdict.
  (void)fs::write_all(write_end.get(), state_json);
  write_end.reset();

  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  UniqueFd pid_fd(pidfd);
  if (pidfd >= 0) {
    struct pollfd p {
      pidfd, POLLIN, 0
    };
    const int timeout_ms = hook.timeout ? *hook.timeout * 1000 : -1;
    int n = 0;
    do {
      n = ::poll(&p, 1, timeout_ms);
    } while (n < 0 && errno == EINTR);
    if (n == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
      return Error::of(Errc::kUnavailable,
                       "timed out after " + std::to_string(*hook.timeout) + "s");
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return Error::sys("wait");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return {};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    return Error::of(Errc::kNotFound, "could not be executed");
  if (WIFEXITED(status))
    return Error::of(Errc::kInternal, "exited with status " + std::to_string(WEXITSTATUS(status)));
  return Error::of(Errc::kInternal, "killed by signal " + std::to_string(WTERMSIG(status)));
}

}  // namespace

Result<void> run_hooks(const std::vector<oci::Hook>& hooks, std::string_view phase,
                       const std::string& state_json) {
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (auto r = run_hook(hooks[i], state_json); !r)
      return std::move(r).error().context("hook " + std::string(phase) + "[" + std::to_string(i) +
                                          "] \"" + hooks[i].path + "\"");
  }
  return {};
}

}  // namespace keel::runtime
