// ttrpc server on the shim's event loop: accepts unix connections, decodes frames, dispatches
// unary requests by "service/method" and writes responses, now or later (Wait answers on exit).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/error.h"
#include "common/unique_fd.h"
#include "shim/event_loop.h"
#include "shimapi/ttrpc/frame.h"
#include "shimapi/ttrpc/status.h"

namespace keel::ttrpc {

class Server;

// Completes one call. Copyable, so a handler may keep it until it can answer; sending after the
// client has gone (or a second time) does nothing.
class Reply {
 public:
  Reply(Server* server, std::uint64_t connection, std::uint32_t stream)
      : server_(server), connection_(connection), stream_(stream) {}
  void send(const Status& status, std::string_view payload = {}) const;
  void ok(std::string_view payload) const { send(Status{}, payload); }

 private:
  Server* server_;
  std::uint64_t connection_;
  std::uint32_t stream_;
};

class Server {
 public:
  using Handler = std::function<void(const std::string& payload, const Reply& reply)>;

  explicit Server(shim::EventLoop& loop) : loop_(loop) {}
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  Server(Server&&) = delete;
  Server& operator=(Server&&) = delete;
  ~Server();

  // `service` is the full proto name ("containerd.task.v2.Task"), `method` the rpc name.
  void register_method(std::string_view service, std::string_view method, Handler handler);
  // Accepts connections on a listening socket until the server is destroyed.
  [[nodiscard]] Result<void> listen(UniqueFd listener);
  // Serves one already-connected socket (tests use a socketpair).
  [[nodiscard]] Result<void> add_connection(UniqueFd connection);
  [[nodiscard]] std::size_t connection_count() const { return connections_.size(); }
  // True when every response has been written out.
  [[nodiscard]] bool flushed() const;

 private:
  friend class Reply;
  struct Connection {
    UniqueFd fd;
    FrameDecoder decoder;
    std::string out;
    bool writing = false;  // EPOLLOUT armed
  };

  void on_accept();
  void on_connection(std::uint64_t id, std::uint32_t events);
  void drain_frames(std::uint64_t id);
  void on_frame(std::uint64_t id, Frame frame);
  void respond(std::uint64_t id, std::uint32_t stream, const Status& status,
               std::string_view payload);
  void flush(std::uint64_t id);
  void close_connection(std::uint64_t id);

  shim::EventLoop& loop_;
  UniqueFd listener_;
  std::unordered_map<std::string, Handler> handlers_;
  std::map<std::uint64_t, Connection> connections_;
  std::uint64_t next_connection_ = 1;
};

}  // namespace keel::ttrpc
