// spawn(): fork, reset signals, place stdio and extra fds, chdir, execve; errno of a failed exec
// comes back over a CLOEXEC pipe so the caller sees "exec X: No such file or directory".
#include "shim/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

extern char** environ;

namespace keel::shim {
namespace {

// Only async-signal-safe calls from here to execve: the child of a fork.
[[noreturn]] void exec_child(const SpawnOptions& o, char* const* argv, int err_pipe_in) {
  // Out of the way of the fds about to be placed at 0, 1, 2, 3...
  const int err_pipe = fcntl(err_pipe_in, F_DUPFD_CLOEXEC, 200);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig = 1; sig < NSIG; ++sig)
    signal(sig, SIG_DFL);
  if (o.new_session)
    setsid();
  const int null_fd = open("/dev/null", O_RDWR);
  // Move every source fd above the targets first, so dup2 onto 0..N never clobbers a source.
  int fds[3] = {o.stdin_fd, o.stdout_fd, o.stderr_fd};
  const int base = 100;
  int n = 0;
  for (int& fd : fds) {
    fd = fcntl(fd < 0 ? null_fd : fd, F_DUPFD, base + n);
    ++n;
  }
  int extra[64];
  const int extras = static_cast<int>(o.extra_fds.size() > 64 ? 64 : o.extra_fds.size());
  for (int i = 0; i < extras; ++i)
    extra[i] = fcntl(o.extra_fds[static_cast<std::size_t>(i)], F_DUPFD, base + n + i);
  for (int i = 0; i < 3; ++i)
    dup2(fds[i], i);
  for (int i = 0; i < extras; ++i)
    dup2(extra[i], 3 + i);
  // The temporaries above were made without CLOEXEC; close them (and anything else stray).
  close_range(static_cast<unsigned>(3 + extras), ~0U, CLOSE_RANGE_CLOEXEC);
  if (!o.cwd.empty() && chdir(o.cwd.c_str()) != 0) {
    const int e = errno;
    (void)!write(err_pipe, &e, sizeof e);
    _exit(127);
  }
  execve(argv[0], argv, environ);
  const int e = errno;
  (void)!write(err_pipe, &e, sizeof e);
  _exit(127);
}

}  // namespace

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status))
    return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status))
    return 128 + WTERMSIG(wait_status);
  return 255;
}

Result<pid_t> spawn(const SpawnOptions& options) {
  if (options.argv.empty())
    return Error::of(Errc::kInvalidArgument, "spawn: empty argv");
  std::vector<char*> argv;
  for (const auto& a : options.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return Error::sys("pipe2");
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(p[0]);
    ::close(p[1]);
    return Error::sys("fork", e);
  }
  if (pid == 0)
    exec_child(options, argv.data(), p[1]);
  ::close(p[1]);
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(p[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(p[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return Error::sys("exec \"" + options.argv[0] + "\"", child_errno);
  }
  return pid;
}

Result<int> wait_exit(pid_t pid) {
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, 0) >= 0)
      return exit_code_of(status);
    if (errno != EINTR)
      return Error::sys("waitpid " + std::to_string(pid));
  }
}

}  // namespace keel::shim
