// set_up_process and exec_process: the steps the container's init and exec's child share.
#include "runtime/process/process_start.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "runtime/process/process_setup.h"

namespace keel::runtime {
namespace {

// Kernels before 5.11 lack CLOSE_RANGE_CLOEXEC: walk /proc/self/fd instead. The directory's own
// fd is marked too, harmlessly, and closed before returning.
Result<void> seal_by_listing(int first) {
  const int dir_fd = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0)
    return Error::sys("list /proc/self/fd to mark inherited fds close-on-exec");
  DIR* dir = ::fdopendir(dir_fd);
  if (dir == nullptr) {
    const int err = errno;
    ::close(dir_fd);
    return Error::sys("list /proc/self/fd to mark inherited fds close-on-exec", err);
  }
  std::vector<int> fds;
  while (const dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (*end == '\0' && end != entry->d_name && fd >= first)
      fds.push_back(static_cast<int>(fd));
  }
  ::closedir(dir);
  for (const int fd : fds) {
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) {
      if (errno == EBADF)  // the listing's own fd, closed by now
        continue;
      return Error::sys("read fd flags of " + std::to_string(fd));
    }
    if (::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0)
      return Error::sys("mark fd " + std::to_string(fd) + " close-on-exec");
  }
  return {};
}

Result<void> load_filter(ProcessStart& start) {
  KEEL_TRY(seal_inherited_fds(start.first_unpreserved_fd));
  const security::SeccompProgram* program = std::exchange(start.seccomp, nullptr);
  KEEL_TRY(load_seccomp_and_notify(*start.report, *program));
  start.filter_loaded = true;
  return {};
}

}  // namespace

Result<void> seal_inherited_fds(int first) {
  if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return {};
  if (errno != EINVAL && errno != ENOSYS)
    return Error::sys("mark inherited fds close-on-exec");
  return seal_by_listing(first);
}

Result<void> unblock_all_signals() {
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0)
    return Error::sys("unblock signals");
  return {};
}

void reset_signal_dispositions() {
  // The kernel's own rt_sigaction, not glibc's sigaction: glibc refuses its two reserved
  // real-time signals (32 and 33), and those too may come in ignored from a caller's caller and
  // would stay ignored across execve. No handler is set, so no restorer is needed.
  struct KernelSigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    std::uint64_t mask;
  };
  const KernelSigaction dfl{SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig <= 64; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP)
      continue;
    (void)::syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  }
}

Result<void> place_stdio(const std::array<int, 3>& fds) {
  // Every source moves above 2 first, so placing one never overwrites another still to come.
  std::array<UniqueFd, 3> moved;
  for (int i = 0; i < 3; ++i) {
    const auto slot = static_cast<size_t>(i);
    if (fds[slot] < 0)
      continue;
    moved[slot] = UniqueFd(::fcntl(fds[slot], F_DUPFD_CLOEXEC, 3));
    if (!moved[slot].valid())
      return Error::sys("take fd " + std::to_string(fds[slot]) + " for stdio " + std::to_string(i));
  }
  for (int i = 0; i < 3; ++i) {
    const auto slot = static_cast<size_t>(i);
    if (moved[slot].valid() && ::dup2(moved[slot].get(), i) < 0)
      return Error::sys("place stdio " + std::to_string(i));
  }
  return {};
}

Result<std::string> set_up_process(ProcessStart& start) {
  const oci::Process& process = *start.process;
  KEEL_TRY(apply_rlimits(process.rlimits));
  if (process.oom_score_adj)
    KEEL_TRY(apply_oom_score_adj(*process.oom_score_adj));
  if (process.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
    return Error::sys("set no_new_privs");
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it while we still have it.
  if (start.seccomp != nullptr && !process.no_new_privileges)
    KEEL_TRY(load_filter(start));
  const auto& caps = *start.capabilities;
  if (caps)
    KEEL_TRY(security::prepare_capabilities(*caps));
  KEEL_TRY(apply_user(process.user, start.setgroups_allowed));
  if (caps)
    KEEL_TRY(security::apply_capabilities(*caps));
  const std::string cwd = process.cwd.empty() ? "/" : process.cwd;
  if (::chdir(cwd.c_str()) != 0)
    return Error::sys("chdir to process.cwd \"" + cwd + "\"");
  return find_executable(process.args.at(0), process.env);
}

Error exec_process(ProcessStart& start, const std::string& executable) {
  const oci::Process& process = *start.process;
  std::vector<char*> argv;
  for (const auto& a : process.args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : process.env)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  if (start.seccomp != nullptr) {
    if (auto r = load_filter(start); !r)
      return std::move(r).error();
  } else if (!start.filter_loaded) {
    if (auto r = seal_inherited_fds(start.first_unpreserved_fd); !r)
      return std::move(r).error();
  }
  // With a filter loaded early nothing is sealed again (the profile may forbid close_range):
  // the fds were sealed before it, and everything opened since (exec.fifo, hook pipes, pidfds)
  // is close-on-exec.
  ::execve(executable.c_str(), argv.data(), envp.data());
  return Error::sys("exec \"" + executable + "\"");
}

}  // namespace keel::runtime
