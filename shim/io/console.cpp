// ConsoleSocket: mkdtemp + bind + listen, then accept and recvmsg for one SCM_RIGHTS fd.
#include "shim/io/console.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace keel::shim::io {

Result<ConsoleSocket> ConsoleSocket::create() {
  ConsoleSocket s;
  const char* tmp =
      std::getenv("TMPDIR");  // NOLINT(concurrency-mt-unsafe): the shim has one thread
  std::string templ =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/keel-shim-XXXXXX";
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr)
    return Error::sys("mkdtemp \"" + templ + "\"");
  s.dir_ = buf.data();
  s.path_ = s.dir_ + "/pty.sock";
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (s.path_.size() >= sizeof(sa.sun_path))
    return Error::of(Errc::kInvalidArgument, "console socket path \"" + s.path_ + "\" is too long");
  std::memcpy(sa.sun_path, s.path_.c_str(), s.path_.size() + 1);
  s.listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!s.listener_.valid())
    return Error::sys("socket");
  if (::bind(s.listener_.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    return Error::sys("bind \"" + s.path_ + "\"");
  if (::listen(s.listener_.get(), 4) != 0)
    return Error::sys("listen \"" + s.path_ + "\"");
  return s;
}

ConsoleSocket::~ConsoleSocket() {
  if (!path_.empty())
    ::unlink(path_.c_str());
  if (!dir_.empty())
    ::rmdir(dir_.c_str());
}

Result<UniqueFd> ConsoleSocket::receive_master() {
  pollfd p{listener_.get(), POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0)
    return Error::of(Errc::kInternal, "console socket \"" + path_ + "\": the runtime sent no pty");
  UniqueFd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!conn.valid())
    return Error::sys("accept console socket");
  char data[256];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 4)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = 0;
  do {
    n = ::recvmsg(conn.get(), &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return Error::sys("recvmsg console socket");
  std::vector<UniqueFd> fds;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
      continue;
    const std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      fds.emplace_back(fd);
    }
  }
  if ((msg.msg_flags & MSG_CTRUNC) != 0 || fds.size() != 1)
    return Error::of(Errc::kInternal, "console socket: expected one pty master, got " +
                                          std::to_string(fds.size()) + " fds");
  if (::isatty(fds[0].get()) == 0)
    return Error::of(Errc::kInternal, "console socket: the fd received is not a terminal");
  return std::move(fds[0]);
}

Result<void> resize_pty(int master, std::uint32_t width, std::uint32_t height) {
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(width);
  ws.ws_row = static_cast<unsigned short>(height);
  if (::ioctl(master, TIOCSWINSZ, &ws) != 0)
    return Error::sys("resize pty");
  return {};
}

}  // namespace keel::shim::io
