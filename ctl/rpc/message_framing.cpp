#include "ctl/rpc/message_framing.h"

namespace keel::rpc {

std::string frame_message(std::string_view message) {
  std::string out;
  out.reserve(kMessagePrefixSize + message.size());
  const auto size = static_cast<std::uint32_t>(message.size());
  out.push_back('\0');
  out.push_back(static_cast<char>((size >> 24) & 0xff));
  out.push_back(static_cast<char>((size >> 16) & 0xff));
  out.push_back(static_cast<char>((size >> 8) & 0xff));
  out.push_back(static_cast<char>(size & 0xff));
  out.append(message);
  return out;
}

std::optional<Status> MessageAssembler::feed(std::string_view bytes) {
  if (failed_)
    return std::nullopt;
  pending_.append(bytes);
  while (pending_.size() >= kMessagePrefixSize) {
    const auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(pending_[i]); };
    if (byte(0) != 0) {
      failed_ = true;
      return Status(StatusCode::INTERNAL,
                    "compressed message received, but no compression was offered");
    }
    const std::size_t size = (std::size_t{byte(1)} << 24) | (std::size_t{byte(2)} << 16) |
                             (std::size_t{byte(3)} << 8) | std::size_t{byte(4)};
    if (size > max_size_) {
      failed_ = true;
      return Status(StatusCode::RESOURCE_EXHAUSTED, "Received message larger than max (" +
                                                        std::to_string(size) + " vs. " +
                                                        std::to_string(max_size_) + ")");
    }
    if (pending_.size() < kMessagePrefixSize + size)
      break;
    messages_.push_back(pending_.substr(kMessagePrefixSize, size));
    pending_.erase(0, kMessagePrefixSize + size);
  }
  return std::nullopt;
}

std::string MessageAssembler::take_message() {
  std::string message = std::move(messages_.front());
  messages_.pop_front();
  return message;
}

}  // namespace keel::rpc
