// Where a server listens: keeld's unix socket. Each call opens its own connection to it, so calls
// from several threads (stats' one stream per container, a Kill beside an attach) share nothing
// but this path; a connection on a unix socket costs a connect and one round of HTTP/2 settings.
#pragma once

#include <memory>
#include <string>

namespace keel::rpc {

class Channel {
 public:
  explicit Channel(std::string socket_path) : socket_path_(std::move(socket_path)) {}
  [[nodiscard]] const std::string& socket_path() const noexcept { return socket_path_; }

 private:
  std::string socket_path_;
};

}  // namespace keel::rpc
