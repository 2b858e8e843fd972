// ConsoleRelay: receive the pty master, raw mode, and the copy loop of a foreground terminal.
#include "runtime/lifecycle/console_relay.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/fs.h"
#include "runtime/lifecycle/lifecycle_internal.h"

namespace keel::runtime {
namespace {

// One message carrying exactly one fd; any extra fd is closed rather than leaked.
Result<UniqueFd> receive_fd(int socket) {
  char name[256];
  struct iovec iov {};
  iov.iov_base = name;
  iov.iov_len = sizeof name;
  alignas(struct cmsghdr) char control[CMSG_SPACE(4 * sizeof(int))] = {};
  struct msghdr msg {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(socket, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return UniqueFd();
  if (n < 0)
    return Error::sys("receive the pty master");
  UniqueFd master;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (master.valid())
        ::close(fd);
      else
        master.reset(fd);
    }
  }
  if (!master.valid() || (msg.msg_flags & MSG_CTRUNC) != 0)
    return Error::of(Errc::kInternal, "receive the pty master: message without exactly one fd");
  return master;
}

// Copies what `from` has now to `to`; false on EOF or a closed pty (EIO).
Result<bool> copy_once(int from, int to) {
  char buf[16384];
  const ssize_t n = ::read(from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n < 0 && errno == EIO)
    return false;
  if (n < 0)
    return Error::sys("read console");
  if (n == 0)
    return false;
  KEEL_TRY(fs::write_all(to, std::string_view(buf, static_cast<size_t>(n))));
  return true;
}

}  // namespace

Result<ConsoleRelay> ConsoleRelay::make() {
  int fds[2] = {-1, -1};
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return Error::sys("console socketpair");
  return ConsoleRelay(UniqueFd(fds[0]), UniqueFd(fds[1]));
}

ConsoleRelay::ConsoleRelay(ConsoleRelay&& other) noexcept
    : parent_end_(std::move(other.parent_end_)),
      child_end_(std::move(other.child_end_)),
      master_(std::move(other.master_)),
      saved_mode_(std::exchange(other.saved_mode_, std::nullopt)) {}

ConsoleRelay::~ConsoleRelay() {
  if (saved_mode_)
    // A destructor has no one to tell; the terminal is as good as it gets.
    (void)::tcsetattr(STDIN_FILENO, TCSANOW, &*saved_mode_);
}

Result<bool> ConsoleRelay::attach() {
  child_end_.reset();
  auto master = receive_fd(parent_end_.get());
  if (!master)
    return master.error();
  parent_end_.reset();
  if (!master->valid())
    return false;
  master_ = std::move(*master);
  if (::isatty(STDIN_FILENO) == 1) {
    struct termios mode {};
    if (::tcgetattr(STDIN_FILENO, &mode) != 0)
      return Error::sys("read the terminal mode of stdin");
    struct termios raw = mode;
    ::cfmakeraw(&raw);
    if (::tcsetattr(STDIN_FILENO, TCSANOW, &raw) != 0)
      return Error::sys("make stdin raw");
    saved_mode_ = mode;
    resize();
  }
  return true;
}

void ConsoleRelay::resize() const {
  struct winsize size {};
  if (::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) == 0)
    // A pty that refuses the size keeps the old one: nothing to do.
    (void)::ioctl(master_.get(), TIOCSWINSZ, &size);
}

Result<int> ConsoleRelay::relay_until_exit(pid_t pid, const sigset_t& signals) {
  UniqueFd sfd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!sfd.valid())
    return Error::sys("signalfd");
  struct pollfd fds[3] = {
      {sfd.get(), POLLIN, 0}, {master_.get(), POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
  std::optional<int> code;
  while (!code) {
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("poll console");
    }
    if ((fds[2].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      auto more = copy_once(STDIN_FILENO, master_.get());
      if (!more || !*more)
        fds[2].fd = -1;  // stdin is done; the process keeps its terminal
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      auto more = copy_once(master_.get(), STDOUT_FILENO);
      if (!more)
        return more.error();
      if (!*more)
        fds[1].fd = -1;  // every slave is closed; wait for the exit only
    }
    if ((fds[0].revents & POLLIN) == 0)
      continue;
    struct signalfd_siginfo info {};
    while (::read(sfd.get(), &info, sizeof info) == sizeof info) {
      const int sig = static_cast<int>(info.ssi_signo);
      if (sig == SIGWINCH) {
        resize();
      } else if (sig != SIGCHLD) {
        // ESRCH once the process exited: its SIGCHLD ends the loop.
        (void)::kill(pid, sig);
      }
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid)
      code = exit_code_of(status);
  }
  // What the process wrote just before exiting is still in the pty.
  if (fds[1].fd >= 0 && ::fcntl(master_.get(), F_SETFL, O_NONBLOCK) == 0) {
    for (;;) {
      auto more = copy_once(master_.get(), STDOUT_FILENO);
      if (!more || !*more)
        break;
      struct pollfd p = {master_.get(), POLLIN, 0};
      if (::poll(&p, 1, 0) <= 0)
        break;
    }
  }
  return *code;
}

}  // namespace keel::runtime
