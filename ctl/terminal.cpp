#include "ctl/terminal.h"

#include <sys/ioctl.h>
#include <unistd.h>

namespace keel::ctl {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  if (!::isatty(fd_) || ::tcgetattr(fd_, &saved_) != 0)
    return;
  struct termios raw = saved_;
  raw.c_iflag &=
      ~static_cast<tcflag_t>(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
  raw.c_oflag &= ~static_cast<tcflag_t>(OPOST);
  raw.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
  raw.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB);
  raw.c_cflag |= CS8;
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  active_ = ::tcsetattr(fd_, TCSANOW, &raw) == 0;
}

RawTerminal::~RawTerminal() {
  if (active_)
    ::tcsetattr(fd_, TCSANOW, &saved_);
}

std::optional<keel::v1::WindowSize> terminal_size() {
  struct winsize size {};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 &&
      ::ioctl(STDIN_FILENO, TIOCGWINSZ, &size) != 0)
    return std::nullopt;
  keel::v1::WindowSize out;
  out.set_rows(size.ws_row);
  out.set_cols(size.ws_col);
  return out;
}

}  // namespace keel::ctl
