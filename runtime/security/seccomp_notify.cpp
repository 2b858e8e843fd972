// Sends the seccomp listener fd and the container process state to a seccomp agent.
#include "runtime/security/seccomp_notify.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include <nlohmann/json.hpp>

#include "common/unique_fd.h"
#include "oci-spec/runtime_config.h"

namespace keel::runtime::security {

Result<std::string> container_process_state(int pid, const std::optional<std::string>& metadata,
                                            std::string_view state_json) {
  nlohmann::ordered_json state;
  try {
    state = nlohmann::ordered_json::parse(state_json);
  } catch (const nlohmann::json::exception& e) {
    return Error::of(Errc::kInvalidArgument,
                     std::string("seccomp: container state: invalid JSON: ") + e.what());
  }
  nlohmann::ordered_json out;
  out["ociVersion"] = oci::kOciVersion;
  out["fds"] = {"seccompFd"};  // index i names the i-th fd of SCM_RIGHTS
  out["pid"] = pid;
  if (metadata)
    out["metadata"] = *metadata;
  out["state"] = std::move(state);
  return out.dump();
}

Result<void> send_notify_fd(const std::string& listener_path, int notify_fd,
                            std::string_view state_json) {
  const std::string where = "seccomp: listener \"" + listener_path + "\"";
  if (state_json.empty())
    return Error::of(Errc::kInvalidArgument, where + ": empty container process state");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (listener_path.empty() || listener_path.size() >= sizeof(addr.sun_path))
    return Error::sys(where + ": socket path length", ENAMETOOLONG);
  std::memcpy(addr.sun_path, listener_path.data(), listener_path.size());

  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) {
    const int err = errno;
    return Error::sys(where + ": socket", err);
  }
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    return Error::sys(where + ": connect", err);
  }

  if (auto r = send_notify_fd_on(sock.get(), notify_fd, state_json); !r)
    return std::move(r).error().context(where);
  return {};
}

Result<void> send_notify_fd_on(int socket, int notify_fd, std::string_view state_json) {
  // A stream socket carries ancillary data only along with at least one byte.
  if (state_json.empty())
    return Error::of(Errc::kInvalidArgument, "empty container process state");
  // The fd rides on the first sendmsg only (config-linux.md); the rest, if the socket buffer
  // cut it short, follows as plain data.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  iovec iov{const_cast<char*>(state_json.data()), state_json.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof(control);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(cmsg), &notify_fd, sizeof(int));

  size_t sent = 0;
  while (sent < state_json.size()) {
    ssize_t n = 0;
    if (sent == 0) {
      n = ::sendmsg(socket, &msg, MSG_NOSIGNAL);
    } else {
      n = ::send(socket, state_json.data() + sent, state_json.size() - sent, MSG_NOSIGNAL);
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      const int err = errno;
      return Error::sys("send", err);
    }
    sent += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace keel::runtime::security
