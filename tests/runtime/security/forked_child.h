// Runs a probe in a forked child so seccomp filters, capability drops and personality changes stay
// out of the test process. The child reports through a pipe in one fixed-size write, so a probe
// under a strict filter needs only write(2) and exit_group(2).
#pragma once

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace keel::runtime::security::test_support {

struct Report {
  std::array<int64_t, 16> values{};
  char error[512] = {};  // a keel::Error message, when a step failed
  char text[128] = {};   // free-form output of the probe

  void fail(const std::string& message) { std::strncpy(error, message.c_str(), sizeof(error) - 1); }
  void note(const char* s) { std::strncpy(text, s, sizeof(text) - 1); }
};

struct ChildOutcome {
  bool reported = false;  // the child wrote its report
  pid_t pid = -1;
  int wait_status = 0;
  Report report;
  [[nodiscard]] bool exited_ok() const {
    return WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  }
  [[nodiscard]] std::string error() const { return report.error; }
  [[nodiscard]] std::string text() const { return report.text; }
  [[nodiscard]] int64_t operator[](size_t i) const { return report.values.at(i); }
};

// `probe(Report&)` runs in the child; whatever it fills is sent back before _exit(0).
template <class Probe>
ChildOutcome run_in_child(Probe&& probe) {
  ChildOutcome outcome;
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return outcome;
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    static Report report;  // not on the probe's stack; written in one go
    probe(report);
    const ssize_t n = ::write(fds[1], &report, sizeof(report));
    // exit_group(2) itself, not _exit(): sanitizer runtimes hook _exit with syscalls of their own
    // that a strict filter denies.
    ::syscall(SYS_exit_group, n == static_cast<ssize_t>(sizeof(report)) ? 0 : 2);
  }
  ::close(fds[1]);
  outcome.pid = pid;
  if (pid > 0) {
    ssize_t n = 0;
    do {
      n = ::read(fds[0], &outcome.report, sizeof(outcome.report));
    } while (n < 0 && errno == EINTR);
    outcome.reported = n == static_cast<ssize_t>(sizeof(outcome.report));
    while (::waitpid(pid, &outcome.wait_status, 0) < 0 && errno == EINTR) {
    }
  }
  ::close(fds[0]);
  return outcome;
}

}  // namespace keel::runtime::security::test_support
