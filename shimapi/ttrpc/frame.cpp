// ttrpc frame encoding and the incremental decoder, including the skip of oversized frames.
#include "shimapi/ttrpc/frame.h"

#include <algorithm>

namespace keel::ttrpc {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

std::uint32_t get_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (static_cast<std::uint32_t>(u[0]) << 24) | (static_cast<std::uint32_t>(u[1]) << 16) |
         (static_cast<std::uint32_t>(u[2]) << 8) | static_cast<std::uint32_t>(u[3]);
}

}  // namespace

Result<std::string> encode_frame(std::uint32_t stream_id, MessageType type, std::uint8_t flags,
                                 std::string_view data) {
  if (data.size() > kMaxDataSize)
    return Error::of(Errc::kInvalidArgument, "ttrpc message of " + std::to_string(data.size()) +
                                                 " bytes exceeds the 4 MiB limit");
  std::string out;
  out.reserve(kHeaderSize + data.size());
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  put_u32(out, stream_id);
  out.push_back(static_cast<char>(type));
  out.push_back(static_cast<char>(flags));
  out.append(data);
  return out;
}

void FrameDecoder::feed(std::string_view bytes) {
  if (skip_ > 0) {
    const std::size_t dropped =
        static_cast<std::size_t>(std::min<std::uint64_t>(skip_, bytes.size()));
    skip_ -= dropped;
    bytes.remove_prefix(dropped);
  }
  // Compact before growing so a long-lived connection does not keep consumed bytes.
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

std::optional<Frame> FrameDecoder::next() {
  if (skip_ > 0 || pending() < kHeaderSize)
    return std::nullopt;
  const char* h = buf_.data() + pos_;
  const std::uint32_t length = get_u32(h);
  Frame frame;
  frame.stream_id = get_u32(h + 4);
  frame.type = static_cast<std::uint8_t>(h[8]);
  frame.flags = static_cast<std::uint8_t>(h[9]);
  if (length > kMaxDataSize) {
    pos_ += kHeaderSize;
    const std::size_t here = std::min<std::size_t>(length, pending());
    pos_ += here;
    skip_ = length - here;
    frame.oversized_length = length;
    return frame;
  }
  if (pending() < kHeaderSize + length)
    return std::nullopt;
  frame.data.assign(h + kHeaderSize, length);
  pos_ += kHeaderSize + length;
  return frame;
}

}  // namespace keel::ttrpc
