// spawn(): fork, reset signals, place stdio and extra fds, chdir, execve. Each step of the child is
// checked; a failed one sends its step and errno over a CLOEXEC pipe (whose EOF means the exec
// went through), so the caller sees "dup2 for \"/x\": Bad file descriptor", never a silent child.
#include "shimapi/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "common/unique_fd.h"

extern char** environ;

namespace keel::shimapi {
namespace {

enum class Step : std::int32_t {
  kErrorPipe = 1,
  kSigprocmask,
  kSetsid,
  kOpenDevNull,
  kMoveFd,
  kDup2,
  kCloseRange,
  kChdir,
  kExec,
};

const char* step_name(Step step) {
  switch (step) {
    case Step::kErrorPipe:
      return "moving the report pipe";
    case Step::kSigprocmask:
      return "sigprocmask";
    case Step::kSetsid:
      return "setsid";
    case Step::kOpenDevNull:
      return "open /dev/null";
    case Step::kMoveFd:
      return "F_DUPFD";
    case Step::kDup2:
      return "dup2";
    case Step::kCloseRange:
      return "close_range";
    case Step::kChdir:
      return "chdir";
    case Step::kExec:
      return "exec";
  }
  return "unknown step";
}

// What the child writes before _exit(127) when a step fails; 8 bytes, so one atomic pipe write.
struct ChildReport {
  std::int32_t step = 0;
  std::int32_t errnum = 0;
};

// Everything the child needs, prepared before fork: the child of a threaded process may not
// allocate, so it only reads these and writes into `fds`, its own copy after fork.
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cwd = nullptr;  // nullptr: stay in the caller's directory
  bool new_session = false;
  int* fds = nullptr;  // stdin, stdout, stderr (-1: /dev/null), then the extra fds
  int count = 0;
};

[[noreturn]] void fail(int report_fd, Step step) {
  const ChildReport report{static_cast<std::int32_t>(step), errno};
  // If even this write fails there is no one left to tell: the parent then reads EOF, takes the
  // child for exec'd, and learns of the failure as exit code 127 when it reaps it.
  if (::write(report_fd, &report, sizeof report) != static_cast<ssize_t>(sizeof report)) {
  }
  ::_exit(127);
}

// Only async-signal-safe calls from here to execve: the child of a fork.
[[noreturn]] void exec_child(const ChildPlan& plan, int report_in) {
  // 0..count-1 become the child's fds; every temporary goes above them.
  const int first_free = plan.count;
  const int report = ::fcntl(report_in, F_DUPFD_CLOEXEC, first_free);
  if (report < 0)
    fail(report_in, Step::kErrorPipe);
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0)
    fail(report, Step::kSigprocmask);
  for (int sig = 1; sig < NSIG; ++sig) {
    // Fails only for SIGKILL, SIGSTOP and glibc's reserved real-time signals, whose disposition
    // nobody can change: those are already at their default.
    if (::signal(sig, SIG_DFL) == SIG_ERR) {
    }
  }
  if (plan.new_session && ::setsid() < 0)
    fail(report, Step::kSetsid);
  int null_fd = -1;
  for (int i = 0; i < 3 && i < plan.count; ++i) {
    if (plan.fds[i] < 0 && null_fd < 0) {
      null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      if (null_fd < 0)
        fail(report, Step::kOpenDevNull);
    }
  }
  // Move every source above the targets first, so dup2 onto 0..N never clobbers a source. The
  // copies are CLOEXEC: exec closes them; dup2's targets are not.
  for (int i = 0; i < plan.count; ++i) {
    plan.fds[i] = ::fcntl(plan.fds[i] < 0 ? null_fd : plan.fds[i], F_DUPFD_CLOEXEC, first_free);
    if (plan.fds[i] < 0)
      fail(report, Step::kMoveFd);
  }
  for (int i = 0; i < plan.count; ++i) {
    if (::dup2(plan.fds[i], i) < 0)
      fail(report, Step::kDup2);
  }
  // An fd the caller left without CLOEXEC (a library's, a racing thread's) stays out of the child.
  if (::close_range(static_cast<unsigned>(first_free), ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    fail(report, Step::kCloseRange);
  if (plan.cwd != nullptr && ::chdir(plan.cwd) != 0)
    fail(report, Step::kChdir);
  ::execve(plan.argv[0], plan.argv, plan.envp);
  fail(report, Step::kExec);
}

// The child already failed: its exit status adds nothing to the report, reaping is what matters.
void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

std::vector<char*> pointers_of(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings)
    out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

Error report_error(const SpawnOptions& options, const ChildReport& report) {
  const auto step = static_cast<Step>(report.step);
  const std::string program = "\"" + options.argv[0] + "\"";
  if (step == Step::kExec)
    return Error::sys("exec " + program, report.errnum);
  if (step == Step::kChdir)
    return Error::sys("chdir \"" + options.cwd + "\" for " + program, report.errnum);
  return Error::sys(std::string(step_name(step)) + " for " + program, report.errnum);
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
  std::vector<char*> argv = pointers_of(options.argv);
  std::vector<char*> envp;
  if (options.env)
    envp = pointers_of(*options.env);
  std::vector<int> fds = {options.stdin_fd, options.stdout_fd, options.stderr_fd};
  fds.insert(fds.end(), options.extra_fds.begin(), options.extra_fds.end());
  const ChildPlan plan{.argv = argv.data(),
                       .envp = options.env ? envp.data() : environ,
                       .cwd = options.cwd.empty() ? nullptr : options.cwd.c_str(),
                       .new_session = options.new_session,
                       .fds = fds.data(),
                       .count = static_cast<int>(fds.size())};
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0)
    return Error::sys("pipe2 for spawning \"" + options.argv[0] + "\"");
  UniqueFd report_read(p[0]);
  UniqueFd report_write(p[1]);
  const pid_t pid = ::fork();
  if (pid < 0)
    return Error::sys("fork for \"" + options.argv[0] + "\"");
  if (pid == 0)
    exec_child(plan, report_write.get());
  report_write.reset();
  ChildReport report;
  ssize_t n = 0;
  do {
    n = ::read(report_read.get(), &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n == 0)
    return pid;  // EOF: execve closed the CLOEXEC write end
  if (n < 0) {
    const int e = errno;
    ::kill(pid, SIGKILL);  // its fate is unknown: do not leave it running unaccounted for
    reap(pid);
    return Error::sys("reading the spawn report of \"" + options.argv[0] + "\"", e);
  }
  reap(pid);
  if (n != static_cast<ssize_t>(sizeof report))
    return Error::of(Errc::kInternal, "spawn \"" + options.argv[0] + "\": short child report");
  return report_error(options, report);
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

std::vector<std::string> environment_with(const std::vector<std::string>& overrides) {
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> out = overrides;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    bool overridden = false;
    for (const auto& o : overrides)
      overridden = overridden || name_of(o) == name_of(entry);
    if (!overridden)
      out.push_back(entry);
  }
  return out;
}

}  // namespace keel::shimapi
