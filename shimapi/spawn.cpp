// spawn(): a child that shares the caller's memory until it execs (clone with CLONE_VM and
// CLONE_VFORK, as glibc's posix_spawn does), resets signals, places stdio and extra fds, chdirs
// and execs. A fork would copy the page tables of the caller and the exec would then tear them
// down: in threaded keeld, with its gRPC arenas, that cost more than the exec itself. Each step of
// the child is checked; a failed one leaves its step and errno in the caller's memory before
// _exit(127), so the caller sees "dup2 for \"/x\": Bad file descriptor", never a silent child.
#include "shimapi/spawn.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

extern char** environ;

namespace keel::shimapi {
namespace {

enum class Step : std::int32_t {
  kNone = 0,
  kSigprocmask,
  kSetsid,
  kOpenDevNull,
  kMoveFd,
  kDup2,
  kCloseRange,
  kChdir,
  kClone,
  kExec,
};

const char* step_name(Step step) {
  switch (step) {
    case Step::kNone:
      return "no step";
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
    case Step::kClone:
      return "clone of the daemon";
    case Step::kExec:
      return "exec";
  }
  return "unknown step";
}

// What a child leaves in the caller's memory when a step fails. The caller reads it once the
// child has exec'd or exited: CLONE_VFORK suspends the caller until then.
struct ChildReport {
  Step step = Step::kNone;
  int errnum = 0;
};

// Everything the child needs, prepared before clone: the child shares the caller's memory and
// runs while other threads of the caller may hold the allocator's locks, so it only reads these
// and writes into `moved` and `report`.
struct ChildPlan {
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* cwd = nullptr;  // nullptr: stay in the caller's directory
  bool new_session = false;
  const int* fds = nullptr;  // stdin, stdout, stderr (-1: /dev/null), then the extra fds
  int* moved = nullptr;      // as many ints as fds: the child's copies above its targets
  int count = 0;
  char* grandchild_stack = nullptr;  // detach: the top of the daemon's stack, else nullptr
  ChildReport* report = nullptr;
  pid_t* daemon_pid = nullptr;  // detach: where the intermediate leaves the daemon's pid
};

// The child runs on a stack of its own (its frames would otherwise overwrite the caller's, which
// CLONE_VM shares); two of them when it detaches. Nothing on this path needs more than a few KiB.
constexpr std::size_t kChildStackSize = 64 * 1024;

class ChildStacks {
 public:
  explicit ChildStacks(int count)
      : size_(kChildStackSize * static_cast<std::size_t>(count)),
        base_(::mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0)) {}
  ChildStacks(const ChildStacks&) = delete;
  ChildStacks& operator=(const ChildStacks&) = delete;
  ChildStacks(ChildStacks&&) = delete;
  ChildStacks& operator=(ChildStacks&&) = delete;
  ~ChildStacks() {
    if (valid())
      ::munmap(base_, size_);
  }
  [[nodiscard]] bool valid() const { return base_ != MAP_FAILED; }
  // Stacks grow down: the i-th stack starts at the end of its slice.
  [[nodiscard]] char* top(int i) const {
    return static_cast<char*>(base_) + kChildStackSize * static_cast<std::size_t>(i + 1);
  }

 private:
  std::size_t size_;
  void* base_;
};

[[noreturn]] void fail(const ChildPlan& plan, Step step) {
  plan.report->errnum = errno;
  plan.report->step = step;
  ::_exit(127);
}

// Only async-signal-safe calls from here to execve: the child shares the caller's memory.
int exec_child(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  // The caller blocked every signal around clone: its handlers, copied into the child, must not
  // run here on the shared memory. Reset them to the default first, then unblock.
  for (int sig = 1; sig < NSIG; ++sig) {
    // Fails only for SIGKILL, SIGSTOP and glibc's reserved real-time signals, whose disposition
    // nobody can change: those are already at their default.
    if (::signal(sig, SIG_DFL) == SIG_ERR) {
    }
  }
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0)
    fail(plan, Step::kSigprocmask);
  if (plan.new_session && ::setsid() < 0)
    fail(plan, Step::kSetsid);
  // 0..count-1 become the child's fds; every temporary goes above them.
  const int first_free = plan.count;
  int null_fd = -1;
  for (int i = 0; i < 3 && i < plan.count; ++i) {
    if (plan.fds[i] < 0 && null_fd < 0) {
      null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
      if (null_fd < 0)
        fail(plan, Step::kOpenDevNull);
    }
  }
  // Move every source above the targets first, so dup2 onto 0..N never clobbers a source. The
  // copies are CLOEXEC: exec closes them; dup2's targets are not.
  for (int i = 0; i < plan.count; ++i) {
    plan.moved[i] = ::fcntl(plan.fds[i] < 0 ? null_fd : plan.fds[i], F_DUPFD_CLOEXEC, first_free);
    if (plan.moved[i] < 0)
      fail(plan, Step::kMoveFd);
  }
  for (int i = 0; i < plan.count; ++i) {
    if (::dup2(plan.moved[i], i) < 0)
      fail(plan, Step::kDup2);
  }
  // An fd the caller left without CLOEXEC (a library's, a racing thread's) stays out of the child.
  if (::close_range(static_cast<unsigned>(first_free), ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    fail(plan, Step::kCloseRange);
  if (plan.cwd != nullptr && ::chdir(plan.cwd) != 0)
    fail(plan, Step::kChdir);
  ::execve(plan.argv[0], plan.argv, plan.envp);
  fail(plan, Step::kExec);
}

// detach: the caller's child only starts the daemon (sharing memory too) and exits, so the
// daemon is orphaned at once, adopted by init or the nearest subreaper, and never the caller's
// to reap. The caller resumes once this intermediate has exited, the daemon having exec'd or
// failed by then.
int start_daemon(void* arg) {
  const ChildPlan& plan = *static_cast<const ChildPlan*>(arg);
  const pid_t pid = ::clone(exec_child, plan.grandchild_stack, CLONE_VM | CLONE_VFORK | SIGCHLD,
                            const_cast<ChildPlan*>(&plan));
  if (pid < 0)
    fail(plan, Step::kClone);
  if (plan.report->step != Step::kNone) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::_exit(127);
  }
  *plan.daemon_pid = pid;
  ::_exit(0);
}

// The child is gone or failed: its exit status adds nothing, reaping is what matters.
int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
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
  const std::string program = "\"" + options.argv[0] + "\"";
  if (report.step == Step::kExec)
    return Error::sys("exec " + program, report.errnum);
  if (report.step == Step::kChdir)
    return Error::sys("chdir \"" + options.cwd + "\" for " + program, report.errnum);
  return Error::sys(std::string(step_name(report.step)) + " for " + program, report.errnum);
}

// Every signal blocked on the calling thread for the lifetime of this object, then its mask back.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    ::pthread_sigmask(SIG_BLOCK, &all, &saved_);
  }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked(AllSignalsBlocked&&) = delete;
  AllSignalsBlocked& operator=(AllSignalsBlocked&&) = delete;
  ~AllSignalsBlocked() { ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

 private:
  sigset_t saved_{};
};

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
  std::vector<int> moved(fds.size(), -1);
  const ChildStacks stacks(options.detach ? 2 : 1);
  if (!stacks.valid())
    return Error::sys("mmap a stack for spawning \"" + options.argv[0] + "\"");
  ChildReport report;
  pid_t daemon_pid = 0;
  ChildPlan plan{.argv = argv.data(),
                 .envp = options.env ? envp.data() : environ,
                 .cwd = options.cwd.empty() ? nullptr : options.cwd.c_str(),
                 .new_session = options.new_session,
                 .fds = fds.data(),
                 .moved = moved.data(),
                 .count = static_cast<int>(fds.size()),
                 .grandchild_stack = options.detach ? stacks.top(1) : nullptr,
                 .report = &report,
                 .daemon_pid = &daemon_pid};
  pid_t pid = -1;
  int clone_errno = 0;
  {
    const AllSignalsBlocked blocked;
    pid = ::clone(options.detach ? start_daemon : exec_child, stacks.top(0),
                  CLONE_VM | CLONE_VFORK | SIGCHLD, &plan);
    clone_errno = errno;
  }
  if (pid < 0)
    return Error::sys("clone for \"" + options.argv[0] + "\"", clone_errno);
  // Here the child has exec'd or exited (for detach: the intermediate has exited).
  if (report.step != Step::kNone) {
    reap(pid);
    return report_error(options, report);
  }
  if (!options.detach)
    return pid;
  const int status = reap(pid);
  if (exit_code_of(status) != 0 || daemon_pid <= 0)
    return Error::of(Errc::kInternal, "spawn \"" + options.argv[0] +
                                          "\": the intermediate exited with " +
                                          std::to_string(exit_code_of(status)));
  return daemon_pid;
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
