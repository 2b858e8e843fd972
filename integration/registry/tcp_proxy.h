// A TCP proxy on 127.0.0.1 in front of a registry, for faults a real registry does not make on
// its own: a slow link (bytes towards the client limited per second, so a test can act while a
// big layer is half-way), and a registry that accepts connections and never answers.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace keel::it {

class TcpProxy {
 public:
  enum class Mode {
    kForward,  // to `upstream`, at most bytes_per_second towards the client (0: no limit)
    kHang,     // accepts and never reads nor answers
  };
  // Listens on a free loopback port; throws std::runtime_error when it cannot.
  TcpProxy(std::string upstream, Mode mode, std::uint64_t bytes_per_second = 0);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  // "127.0.0.1:PORT"
  [[nodiscard]] const std::string& host() const { return host_; }
  // Applies to connections from now on, and to the open ones at their next chunk.
  void set_rate(std::uint64_t bytes_per_second) { rate_ = bytes_per_second; }
  // The next `count` connections get `response` (a whole HTTP response) to their first request
  // and are closed, as an overloaded registry or its load balancer does (429, 503).
  void answer_next(int count, std::string response);
  // Connections accepted so far.
  [[nodiscard]] int accepted() const { return accepted_; }

 private:
  void accept_loop();
  void forward(UniqueFd client);

  std::string upstream_;
  Mode mode_;
  std::atomic<std::uint64_t> rate_;
  std::string host_;
  UniqueFd listener_;
  UniqueFd stop_read_;  // readable once the proxy stops: wakes every poll
  UniqueFd stop_write_;
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;
  std::vector<UniqueFd> hung_;  // kHang: held open, never read
  std::atomic<int> accepted_{0};
  int canned_left_ = 0;  // under mu_
  std::string canned_;
};

}  // namespace keel::it
