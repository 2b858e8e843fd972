// Blocking ttrpc client for one unix socket: one unary call at a time, with a deadline. Tests and
// tools use it; the shim itself only serves.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"
#include "shimapi/ttrpc/frame.h"
#include "shimapi/ttrpc/status.h"

namespace keel::ttrpc {

// A connected unix stream socket for the same address forms as Client::connect. Non-blocking: a
// listener whose backlog is full fails the connect with EAGAIN instead of blocking.
[[nodiscard]] Result<UniqueFd> dial(std::string_view address, bool nonblocking = false);

class Client {
 public:
  struct Answer {
    Status status;
    std::string payload;
  };

  // "unix:///path", "/path", or "@name" / "unix://@name" for an abstract socket.
  [[nodiscard]] static Result<Client> connect(std::string_view address);
  // Wraps a connected socket (a socketpair end in tests).
  explicit Client(UniqueFd fd) : fd_(std::move(fd)) {}

  // Sends one Request and waits for its Response. Transport failures (closed socket, deadline)
  // are errors; a call the server refused is an Answer with a non-ok status.
  [[nodiscard]] Result<Answer> call(std::string_view service, std::string_view method,
                                    std::string_view payload,
                                    std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Writes raw bytes (tests of malformed input).
  [[nodiscard]] Result<void> send_raw(std::string_view bytes);
  // Reads the next frame whatever its stream.
  [[nodiscard]] Result<Frame> read_frame(std::chrono::milliseconds timeout);
  [[nodiscard]] int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
  FrameDecoder decoder_;
  std::uint32_t next_stream_ = 1;
};

}  // namespace keel::ttrpc
