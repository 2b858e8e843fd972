// ttrpc's message frame (containerd/ttrpc PROTOCOL.md): a 10-byte header, then at most 4 MiB of
// data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.h"

namespace keel::ttrpc {

inline constexpr std::size_t kHeaderSize = 10;
inline constexpr std::uint32_t kMaxDataSize = 4U << 20;

enum class MessageType : std::uint8_t { kRequest = 1, kResponse = 2, kData = 3 };

// Flags of Request and Data frames.
inline constexpr std::uint8_t kFlagRemoteClosed = 0x01;
inline constexpr std::uint8_t kFlagRemoteOpen = 0x02;

struct Frame {
  std::uint32_t stream_id = 0;
  std::uint8_t type = 0;  // a MessageType, or whatever a peer sent
  std::uint8_t flags = 0;
  std::string data;
  // Set when the header declared more than kMaxDataSize: `data` is empty, the declared bytes are
  // skipped as they arrive, and the peer gets an error on this stream instead of a dropped link.
  std::uint32_t oversized_length = 0;
};

// Header (length and stream id big-endian, then type and flags) followed by the data.
// kInvalidArgument when the data exceeds kMaxDataSize.
[[nodiscard]] Result<std::string> encode_frame(std::uint32_t stream_id, MessageType type,
                                               std::uint8_t flags, std::string_view data);

// Splits a byte stream into frames; bytes may arrive in any chunking.
class FrameDecoder {
 public:
  void feed(std::string_view bytes);
  // The next complete frame, or nullopt until more bytes arrive.
  [[nodiscard]] std::optional<Frame> next();
  // Bytes held that do not yet make a frame.
  [[nodiscard]] std::size_t pending() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  std::size_t pos_ = 0;
  std::uint64_t skip_ = 0;  // data bytes of an oversized frame still to drop
};

}  // namespace keel::ttrpc
