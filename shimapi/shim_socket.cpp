// shim_socket_address and bind_shim_socket.
#include "shimapi/shim_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/fs.h"
#include "common/sha256.h"

namespace keel::shimapi {
namespace {

constexpr std::string_view kUnixScheme = "unix://";

Result<UniqueFd> listen_on(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path))
    return Error::of(Errc::kInvalidArgument, "socket path \"" + path + "\" is too long");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return Error::sys("socket");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    return Error::sys("bind \"" + path + "\"");
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 128) != 0) {
    const int e = errno;
    ::unlink(path.c_str());
    return Error::sys("listen \"" + path + "\"", e);
  }
  return fd;
}

bool can_connect(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, path.c_str(), std::min(path.size() + 1, sizeof(sa.sun_path) - 1));
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  return fd.valid() && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0;
}

}  // namespace

std::string shim_socket_address(const std::string& socket_dir, const std::string& manager_address,
                                const std::string& ns, const std::string& id) {
  return std::string(kUnixScheme) + socket_dir + "/" +
         sha256_hex(manager_address + "/" + ns + "/" + id);
}

Result<BoundShimSocket> bind_shim_socket(const std::string& address) {
  if (address.rfind(kUnixScheme, 0) != 0)
    return Error::of(Errc::kInvalidArgument, "shim address \"" + address + "\" is not unix://");
  const std::string path = address.substr(kUnixScheme.size());
  if (const auto slash = path.rfind('/'); slash != std::string::npos && slash > 0)
    KEEL_TRY(fs::mkdir_all(path.substr(0, slash), 0700));
  auto listener = listen_on(path);
  if (!listener && listener.error().errnum() == EADDRINUSE) {
    if (can_connect(path))
      return BoundShimSocket{.listener = UniqueFd(), .already_served = true};
    ::unlink(path.c_str());
    listener = listen_on(path);
  }
  if (!listener)
    return std::move(listener).error();
  return BoundShimSocket{.listener = std::move(*listener), .already_served = false};
}

}  // namespace keel::shimapi
