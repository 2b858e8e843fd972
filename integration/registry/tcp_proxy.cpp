// TcpProxy: an accept thread and a thread per connection, each polling its two sockets and the
// stop pipe.
#include "integration/registry/tcp_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace keel::it {
namespace {

constexpr std::size_t kChunk = 64 << 10;
// A rate is kept by sending at most rate/kTicksPerSecond bytes per tick.
constexpr int kTicksPerSecond = 20;

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  return addr;
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

TcpProxy::TcpProxy(std::string upstream, Mode mode, std::uint64_t bytes_per_second)
    : upstream_(std::move(upstream)), mode_(mode), rate_(bytes_per_second) {
  listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (!listener_.valid() || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listener_.get(), 64) != 0 ||
      ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("proxy: cannot listen on loopback");
  host_ = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
    throw std::runtime_error("proxy: pipe");
  stop_read_.reset(pipe_fds[0]);
  stop_write_.reset(pipe_fds[1]);
  acceptor_ = std::thread([this] { accept_loop(); });
}

TcpProxy::~TcpProxy() {
  stop_write_.reset();  // EOF on stop_read_: every loop sees it
  acceptor_.join();
  for (auto& t : connections_)
    t.join();
}

void TcpProxy::answer_next(int count, std::string response) {
  const std::lock_guard lock(mu_);
  canned_left_ = count;
  canned_ = std::move(response);
}

void TcpProxy::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR)
      return;
    if (fds[1].revents != 0)
      return;
    if ((fds[0].revents & POLLIN) == 0)
      continue;
    UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid())
      continue;
    ++accepted_;
    const std::lock_guard lock(mu_);
    if (mode_ == Mode::kHang) {
      hung_.push_back(std::move(client));
      continue;
    }
    if (canned_left_ > 0) {
      --canned_left_;
      connections_.emplace_back([c = std::move(client), response = canned_]() {
        std::vector<char> request(kChunk);
        (void)::recv(c.get(), request.data(), request.size(), 0);  // one request's head
        (void)write_all(c.get(), response.data(), response.size());
      });
      continue;
    }
    connections_.emplace_back([this, c = std::move(client)]() mutable { forward(std::move(c)); });
  }
}

void TcpProxy::forward(UniqueFd client) {
  const auto colon = upstream_.rfind(':');
  sockaddr_in addr = loopback(std::stoi(upstream_.substr(colon + 1)));
  UniqueFd server(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!server.valid() ||
      ::connect(server.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return;  // the registry is down: the client sees its connection closed
  std::vector<char> buf(kChunk);
  for (;;) {
    pollfd fds[3] = {
        {client.get(), POLLIN, 0}, {server.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
    if (::poll(fds, 3, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (fds[2].revents != 0)
      return;
    if (fds[0].revents != 0) {
      const ssize_t n = ::recv(client.get(), buf.data(), buf.size(), 0);
      if (n <= 0 || !write_all(server.get(), buf.data(), static_cast<std::size_t>(n)))
        return;
    }
    if (fds[1].revents != 0) {
      const std::uint64_t rate = rate_;
      const std::size_t want =
          rate == 0 ? buf.size()
                    : std::min<std::size_t>(buf.size(),
                                            std::max<std::uint64_t>(rate / kTicksPerSecond, 1));
      const ssize_t n = ::recv(server.get(), buf.data(), want, 0);
      if (n <= 0 || !write_all(client.get(), buf.data(), static_cast<std::size_t>(n)))
        return;
      if (rate != 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(1000 / kTicksPerSecond));
    }
  }
}

}  // namespace keel::it
