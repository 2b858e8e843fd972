// ttrpc Server: accept, read and decode, dispatch, buffered non-blocking writes.
#include "shim/ttrpc/server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>

#include <spdlog/spdlog.h>

#include "ttrpc/request.pb.h"

namespace keel::ttrpc {

void Reply::send(const Status& status, std::string_view payload) const {
  if (server_ != nullptr)
    server_->respond(connection_, stream_, status, payload);
}

Server::~Server() {
  for (auto& [id, connection] : connections_)
    loop_.remove(connection.fd.get());
  if (listener_.valid())
    loop_.remove(listener_.get());
}

void Server::register_method(std::string_view service, std::string_view method, Handler handler) {
  handlers_[std::string(service) + "/" + std::string(method)] = std::move(handler);
}

Result<void> Server::listen(UniqueFd listener) {
  listener_ = std::move(listener);
  return loop_.add(listener_.get(), EPOLLIN, [this](std::uint32_t) { on_accept(); });
}

void Server::on_accept() {
  for (;;) {
    const int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        spdlog::warn("ttrpc: accept: {}", Error::sys("accept4").message());
      return;
    }
    if (auto r = add_connection(UniqueFd(fd)); !r)
      spdlog::warn("ttrpc: {}", r.error().message());
  }
}

Result<void> Server::add_connection(UniqueFd connection) {
  const int fd = connection.get();
  const std::uint64_t id = next_connection_++;
  KEEL_TRY(loop_.add(fd, EPOLLIN | EPOLLRDHUP,
                     [this, id](std::uint32_t events) { on_connection(id, events); }));
  connections_[id].fd = std::move(connection);
  return {};
}

void Server::on_connection(std::uint64_t id, std::uint32_t events) {
  auto it = connections_.find(id);
  if (it == connections_.end())
    return;
  if ((events & EPOLLOUT) != 0)
    flush(id);
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) == 0)
    return;
  // Not zeroed: read() writes what is used, and zeroing would make all 16 KiB of stack resident
  // in every shim.
  std::array<char, 16384> buf;  // NOLINT(cppcoreguidelines-pro-type-member-init)
  for (;;) {
    it = connections_.find(id);
    if (it == connections_.end())
      return;
    const ssize_t n = ::read(it->second.fd.get(), buf.data(), buf.size());
    if (n > 0) {
      it->second.decoder.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
      drain_frames(id);
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    close_connection(id);  // EOF or a read error: the client is gone
    return;
  }
}

void Server::drain_frames(std::uint64_t id) {
  for (;;) {
    auto it = connections_.find(id);  // a response may have closed the connection
    if (it == connections_.end())
      return;
    auto frame = it->second.decoder.next();
    if (!frame)
      return;
    on_frame(id, std::move(*frame));
  }
}

void Server::on_frame(std::uint64_t id, Frame frame) {
  if (frame.type != static_cast<std::uint8_t>(MessageType::kRequest))
    return;  // no streams are served: data frames and stray responses are dropped
  if (frame.oversized_length != 0) {
    respond(
        id, frame.stream_id,
        {Code::kResourceExhausted, "message length " + std::to_string(frame.oversized_length) +
                                       " exceeds the maximum of " + std::to_string(kMaxDataSize)},
        {});
    return;
  }
  if (frame.stream_id % 2 != 1) {
    respond(id, frame.stream_id,
            {Code::kInvalidArgument, "stream id must be odd for client-initiated streams"}, {});
    return;
  }
  ::ttrpc::Request request;
  if (!request.ParseFromString(frame.data)) {
    respond(id, frame.stream_id, {Code::kInvalidArgument, "request does not parse"}, {});
    return;
  }
  auto handler = handlers_.find(request.service() + "/" + request.method());
  if (handler == handlers_.end()) {
    respond(id, frame.stream_id,
            {Code::kUnimplemented,
             "method " + request.service() + "/" + request.method() + " is not implemented"},
            {});
    return;
  }
  handler->second(request.payload(), Reply(this, id, frame.stream_id));
}

void Server::respond(std::uint64_t id, std::uint32_t stream, const Status& status,
                     std::string_view payload) {
  auto it = connections_.find(id);
  if (it == connections_.end())
    return;
  ::ttrpc::Response response;
  response.mutable_status()->set_code(static_cast<int>(status.code));
  response.mutable_status()->set_message(status.message);
  response.set_payload(std::string(payload));
  auto frame = encode_frame(stream, MessageType::kResponse, 0, response.SerializeAsString());
  if (!frame) {
    spdlog::warn("ttrpc: response on stream {}: {}", stream, frame.error().message());
    return respond(id, stream, {Code::kResourceExhausted, frame.error().message()}, {});
  }
  it->second.out += *frame;
  flush(id);
}

void Server::flush(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end())
    return;
  Connection& c = it->second;
  while (!c.out.empty()) {
    const ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    close_connection(id);
    return;
  }
  const bool want = !c.out.empty();
  if (want != c.writing) {
    c.writing = want;
    if (auto r = loop_.modify(c.fd.get(), EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0U)); !r)
      spdlog::warn("ttrpc: {}", r.error().message());
  }
}

void Server::close_connection(std::uint64_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end())
    return;
  loop_.remove(it->second.fd.get());
  connections_.erase(it);
}

bool Server::flushed() const {
  for (const auto& [id, c] : connections_)
    if (!c.out.empty())
      return false;
  return true;
}

}  // namespace keel::ttrpc
