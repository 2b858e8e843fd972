// Terminal: posix_openpt, a child on the slave, reads with a deadline.
#include "integration/dropin/terminal.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include <gtest/gtest.h>

namespace keel::dropin {

Terminal::Terminal(unsigned short rows, unsigned short cols)
    : master_(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) {
  EXPECT_TRUE(master_.valid());
  EXPECT_EQ(::grantpt(master_.get()), 0);
  EXPECT_EQ(::unlockpt(master_.get()), 0);
  char name[64] = {};
  EXPECT_EQ(::ptsname_r(master_.get(), name, sizeof name), 0);
  slave_path_ = name;
  struct winsize size = {rows, cols, 0, 0};
  EXPECT_EQ(::ioctl(master_.get(), TIOCSWINSZ, &size), 0);
}

pid_t Terminal::spawn(const std::vector<std::string>& argv) const {
  std::vector<char*> args;
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();
    const int slave = ::open(slave_path_.c_str(), O_RDWR | O_CLOEXEC);  // dup2 clears it
    if (slave < 0 || ::ioctl(slave, TIOCSCTTY, 0) != 0)
      ::_exit(125);
    for (int i = 0; i < 3; ++i)
      ::dup2(slave, i);
    ::close(slave);
    ::execv(args[0], args.data());
    ::_exit(126);
  }
  return pid;
}

void Terminal::write(const std::string& text) const {
  EXPECT_EQ(::write(master_.get(), text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

std::string Terminal::read_until(const std::string& regex, std::chrono::seconds timeout) {
  std::string out;
  const std::regex want(regex.empty() ? "$^" : regex);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!regex.empty() && std::regex_search(out, want))
      break;
    struct pollfd p = {master_.get(), POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0)
      continue;
    char buf[4096];
    const ssize_t n = ::read(master_.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

int wait_exit_code(pid_t pid, std::chrono::milliseconds timeout) {
  const UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  struct pollfd p = {pidfd.get(), POLLIN, 0};
  if (!pidfd.valid() || ::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
    ::kill(pid, SIGKILL);
    ADD_FAILURE() << "pid " << pid << " did not exit in time";
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace keel::dropin
