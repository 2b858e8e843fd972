// connect_unix: one place that knows sockaddr_un's size limit.
#include "common/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>

namespace keel {

Result<UniqueFd> connect_unix(const std::string& path) {
  struct sockaddr_un addr {};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path)
    return Error::of(Errc::kInvalidArgument, "socket path \"" + path + "\" is too long");
  path.copy(addr.sun_path, path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return Error::sys("socket");
  UniqueFd sock(fd);
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Error::sys("connect to \"" + path + "\"");
  return sock;
}

}  // namespace keel
