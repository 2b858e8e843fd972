// ttrpc Client: connect, frame a Request, wait (poll with a deadline) for the matching Response.
#include "shimapi/ttrpc/client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "ttrpc/request.pb.h"

namespace keel::ttrpc {

Result<Client> Client::connect(std::string_view address) {
  auto fd = dial(address);
  if (!fd)
    return std::move(fd).error();
  return Client(std::move(*fd));
}

Result<UniqueFd> dial(std::string_view address, bool nonblocking) {
  std::string path(address);
  if (path.rfind("unix://", 0) == 0)
    path.erase(0, 7);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sa.sun_path))
    return Error::of(Errc::kInvalidArgument,
                     "socket address \"" + path + "\" is empty or too long");
  std::memcpy(sa.sun_path, path.data(), path.size());
  if (path[0] == '@')
    sa.sun_path[0] = '\0';
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
  if (!fd.valid())
    return Error::sys("socket");
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&sa), len) != 0)
    return Error::sys("connect \"" + path + "\"");
  return fd;
}

Result<void> Client::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("ttrpc send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<Frame> Client::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::array<char, 16384> buf{};
  for (;;) {
    if (auto frame = decoder_.next())
      return std::move(*frame);
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
            .count();
    if (left <= 0)
      return Error::of(Errc::kUnavailable, "ttrpc: no response before the deadline");
    pollfd p{fd_.get(), POLLIN, 0};
    // A Wait's deadline is a year away: more milliseconds than poll's int holds.
    const int r = ::poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, INT_MAX)));
    if (r < 0 && errno != EINTR)
      return Error::sys("poll");
    if (r <= 0)
      continue;
    const ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("ttrpc read");
    if (n == 0)
      return Error::of(Errc::kUnavailable, "ttrpc: connection closed by the server");
    decoder_.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  }
}

Result<Client::Answer> Client::call(std::string_view service, std::string_view method,
                                    std::string_view payload, std::chrono::milliseconds timeout) {
  ::ttrpc::Request request;
  request.set_service(std::string(service));
  request.set_method(std::string(method));
  request.set_payload(std::string(payload));
  request.set_timeout_nano(static_cast<std::int64_t>(timeout.count()) * 1000000);
  const std::uint32_t stream = next_stream_;
  next_stream_ += 2;
  auto frame = encode_frame(stream, MessageType::kRequest, 0, request.SerializeAsString());
  if (!frame)
    return std::move(frame).error();
  KEEL_TRY(send_raw(*frame));
  for (;;) {
    auto got = read_frame(timeout);
    if (!got)
      return std::move(got).error().context(std::string(service) + "/" + std::string(method));
    if (got->stream_id != stream || got->type != static_cast<std::uint8_t>(MessageType::kResponse))
      continue;
    ::ttrpc::Response response;
    if (!response.ParseFromString(got->data))
      return Error::of(Errc::kInternal, "ttrpc: response does not parse");
    Answer answer;
    answer.status.code = static_cast<Code>(response.status().code());
    answer.status.message = response.status().message();
    answer.payload = response.payload();
    return answer;
  }
}

}  // namespace keel::ttrpc
