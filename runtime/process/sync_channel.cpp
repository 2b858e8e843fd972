// SyncChannel: fixed frames on SOCK_SEQPACKET, which delivers exactly one frame per recv.
#include "runtime/process/sync_channel.h"

#include <sys/socket.h>

#include <cstring>

namespace keel::runtime {

std::string_view sync_msg_name(SyncMsg msg) noexcept {
  switch (msg) {
    case SyncMsg::kChildStarted:
      return "child-started";
    case SyncMsg::kGo:
      return "go";
    case SyncMsg::kRuntimeHooks:
      return "runtime-hooks";
    case SyncMsg::kHooksDone:
      return "hooks-done";
    case SyncMsg::kReady:
      return "ready";
    case SyncMsg::kError:
      return "error";
  }
  return "unknown";
}

Result<std::pair<SyncChannel, SyncChannel>> SyncChannel::make_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
    return Error::sys("socketpair for the init sync channel");
  return std::pair{SyncChannel(UniqueFd(fds[0])), SyncChannel(UniqueFd(fds[1]))};
}

Result<void> SyncChannel::send(SyncMsg msg) {
  SyncFrame frame{};
  frame.type = msg;
  if (::send(sock_.get(), &frame, sizeof frame, MSG_NOSIGNAL) != sizeof frame)
    return Error::sys(std::string("send sync message \"") + std::string(sync_msg_name(msg)) + "\"");
  return {};
}

Result<void> SyncChannel::expect(SyncMsg want) {
  SyncFrame frame{};
  ssize_t n = 0;
  do {
    n = ::recv(sock_.get(), &frame, sizeof frame, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return Error::sys("receive sync message");
  if (n == 0)
    return Error::of(Errc::kUnavailable,
                     "container init exited before \"" + std::string(sync_msg_name(want)) + "\"");
  if (static_cast<size_t>(n) != sizeof frame)
    return Error::of(Errc::kInternal, "short sync frame");
  if (frame.type == SyncMsg::kError) {
    frame.text[sizeof frame.text - 1] = '\0';
    return Error::with_errno(Errc::kInternal, frame.text, frame.errnum);
  }
  if (frame.type != want)
    return Error::of(Errc::kInternal, "sync: expected \"" + std::string(sync_msg_name(want)) +
                                          "\", got \"" + std::string(sync_msg_name(frame.type)) +
                                          "\"");
  return {};
}

Result<void> SyncChannel::expect_closed() {
  SyncFrame frame{};
  ssize_t n = 0;
  do {
    n = ::recv(sock_.get(), &frame, sizeof frame, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0)
    return Error::sys("receive sync message");
  if (n > 0 && frame.type == SyncMsg::kError) {
    frame.text[sizeof frame.text - 1] = '\0';
    return Error::with_errno(Errc::kInternal, frame.text, frame.errnum);
  }
  if (n > 0)
    return Error::of(Errc::kInternal, "sync: expected the end, got \"" +
                                          std::string(sync_msg_name(frame.type)) + "\"");
  return {};
}

void SyncChannel::send_error(const Error& error) noexcept {
  SyncFrame frame{};
  frame.type = SyncMsg::kError;
  frame.errnum = error.errnum();
  const std::string text = error.what();
  std::strncpy(frame.text, text.c_str(), sizeof frame.text - 1);
  (void)::send(sock_.get(), &frame, sizeof frame, MSG_NOSIGNAL);
}

}  // namespace keel::runtime
