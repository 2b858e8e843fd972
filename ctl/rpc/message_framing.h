// gRPC's length-prefixed messages inside an HTTP/2 stream's DATA: a compressed flag byte (always 0
// here: keelctl offers no grpc-accept-encoding, so the server sends none), a 4-byte big-endian
// length, then the protobuf bytes. DATA frames cut messages wherever flow control falls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "ctl/rpc/status.h"

namespace keel::rpc {

inline constexpr std::size_t kMessagePrefixSize = 5;

// The message with its prefix, ready for DATA frames.
[[nodiscard]] std::string frame_message(std::string_view message);

// Collects DATA bytes and hands out whole messages.
class MessageAssembler {
 public:
  explicit MessageAssembler(std::size_t max_message_size) : max_size_(max_message_size) {}

  // Adds bytes; returns the error that ends the call (a compressed message: INTERNAL, one over
  // the limit: RESOURCE_EXHAUSTED) and takes no more once one was returned.
  [[nodiscard]] std::optional<Status> feed(std::string_view bytes);
  [[nodiscard]] bool has_message() const noexcept { return !messages_.empty(); }
  [[nodiscard]] std::string take_message();
  // Bytes of a message that has not fully arrived.
  [[nodiscard]] bool partial() const noexcept { return !pending_.empty(); }

 private:
  std::size_t max_size_;
  std::string pending_;
  std::deque<std::string> messages_;
  bool failed_ = false;
};

}  // namespace keel::rpc
