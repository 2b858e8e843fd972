// keelctl's connection to keeld and the way its commands fail: one line on stderr and docker's
// exit codes.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include "ctl/rpc/channel.h"
#include "ctl/rpc/status.h"

namespace keel::ctl {

// The default socket, overridden by KEEL_ADDRESS and then by --address.
inline constexpr const char* kDefaultAddress = "/run/keel/keeld.sock";

// A command's failure: what is printed (without a trailing newline) and the exit code.
class CommandError : public std::runtime_error {
 public:
  explicit CommandError(std::string message, int exit_code = 1)
      : std::runtime_error(std::move(message)), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

class Client {
 public:
  explicit Client(std::string address) : address_(std::move(address)) {}

  [[nodiscard]] const std::string& address() const { return address_; }
  // Made on first use; a missing daemon shows when a call fails, not here.
  std::shared_ptr<rpc::Channel> channel();

  // Throws CommandError for a failed status: "Cannot connect to keeld at unix://...  Is keeld
  // running?" when the daemon is not there, else "Error response from daemon: <message>".
  void check(const rpc::Status& status, int exit_code = 1) const;

 private:
  std::string address_;
  std::shared_ptr<rpc::Channel> channel_;
};

}  // namespace keel::ctl
