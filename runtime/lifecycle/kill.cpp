// kill_container: runtime.md "kill", plus runc's --all (every process in the container's cgroup).
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "common/unique_fd.h"
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::runtime {

Result<int> parse_signal(const std::string& text) {
  if (text.empty())
    return Error::of(Errc::kInvalidArgument, "empty signal");
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    char* end = nullptr;
    const long n = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || n <= 0 || n >= NSIG)
      return Error::of(Errc::kInvalidArgument, "unknown signal \"" + text + "\"");
    return static_cast<int>(n);
  }
  std::string name = text;
  for (auto& c : name)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (name.rfind("SIG", 0) == 0)
    name = name.substr(3);
  for (int sig = 1; sig < NSIG; ++sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    if (abbrev != nullptr && name == abbrev)
      return sig;
  }
  if (name.rfind("RTMIN+", 0) == 0 || name.rfind("RTMAX-", 0) == 0) {
    const int off = std::atoi(name.c_str() + 6);
    const int sig = name[2] == 'M' && name[3] == 'I' ? SIGRTMIN + off : SIGRTMAX - off;
    if (sig >= SIGRTMIN && sig <= SIGRTMAX)
      return sig;
  }
  return Error::of(Errc::kInvalidArgument, "unknown signal \"" + text + "\"");
}

Result<void> kill_container(const StateStore& store, const std::string& id,
                            const std::string& signal, bool all) {
  auto sig = parse_signal(signal);
  if (!sig)
    return sig.error();
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  const Status status = dir->status(*record);
  if (status == Status::kStopped && !all)
    return Error::of(Errc::kFailedPrecondition, "container \"" + id + "\" is not running");

  if (all) {
    auto manager = cgroups::open_manager(record->cgroup_paths);
    if (!manager)
      return manager.error();
    auto pids = (*manager)->pids();
    if (!pids)
      return pids.error();
    for (pid_t pid : *pids) {
      if (::kill(pid, *sig) != 0 && errno != ESRCH)
        return Error::sys("signal pid " + std::to_string(pid));
    }
    // A frozen process only sees the signal once thawed; SIGKILL must not wait for a resume.
    if (*sig == SIGKILL && status == Status::kPaused)
      // The signal is sent; should thawing fail, delete --force thaws again and reports.
      (void)(*manager)->thaw();
    return {};
  }
  // A pidfd pins the process: checked for identity first, then signalled, so a recycled pid
  // can never receive it.
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, record->pid, 0));
  if (pidfd < 0)
    return Error::of(Errc::kFailedPrecondition, "container \"" + id + "\" is not running");
  UniqueFd pid_fd(pidfd);
  if (process_start_time(record->pid) != record->pid_start_time)
    return Error::of(Errc::kFailedPrecondition, "container \"" + id + "\" is not running");
  if (::syscall(SYS_pidfd_send_signal, pid_fd.get(), *sig, nullptr, 0) != 0)
    return Error::sys("signal container \"" + id + "\"");
  return {};
}

}  // namespace keel::runtime
