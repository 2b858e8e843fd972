// Pins the ttrpc frame codec (shim/ttrpc/frame.cpp): header layout, chunked input, size limit.
#include <gtest/gtest.h>

#include "shimapi/ttrpc/frame.h"

namespace keel::ttrpc {
namespace {

TEST(TtrpcFrame, EncodesBigEndianHeaderThenData) {
  auto bytes = encode_frame(0x01020304, MessageType::kResponse, 0x05, "xyz");
  ASSERT_TRUE(bytes) << bytes.error().message();
  const std::string want("\x00\x00\x00\x03\x01\x02\x03\x04\x02\x05xyz", 13);
  EXPECT_EQ(*bytes, want);
}

TEST(TtrpcFrame, DecodesFramesSplitAcrossAnyChunking) {
  auto a = encode_frame(1, MessageType::kRequest, 0, "hello");
  auto b = encode_frame(3, MessageType::kRequest, kFlagRemoteClosed, "");
  ASSERT_TRUE(a && b);
  const std::string stream = *a + *b;
  FrameDecoder decoder;
  std::vector<Frame> frames;
  for (char c : stream) {
    decoder.feed(std::string_view(&c, 1));
    while (auto f = decoder.next())
      frames.push_back(std::move(*f));
  }
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].stream_id, 1U);
  EXPECT_EQ(frames[0].type, static_cast<std::uint8_t>(MessageType::kRequest));
  EXPECT_EQ(frames[0].data, "hello");
  EXPECT_EQ(frames[1].stream_id, 3U);
  EXPECT_EQ(frames[1].flags, kFlagRemoteClosed);
  EXPECT_TRUE(frames[1].data.empty());
  EXPECT_EQ(decoder.pending(), 0U);
}

TEST(TtrpcFrame, WaitsForTheWholeHeaderAndData) {
  auto a = encode_frame(7, MessageType::kRequest, 0, "abcdef");
  ASSERT_TRUE(a);
  FrameDecoder decoder;
  decoder.feed(std::string_view(*a).substr(0, 9));
  EXPECT_FALSE(decoder.next());
  decoder.feed(std::string_view(*a).substr(9, 3));
  EXPECT_FALSE(decoder.next());
  decoder.feed(std::string_view(*a).substr(12));
  auto f = decoder.next();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->data, "abcdef");
}

TEST(TtrpcFrame, RefusesToEncodeMoreThanFourMiB) {
  const std::string big(kMaxDataSize + 1, 'x');
  auto bytes = encode_frame(1, MessageType::kRequest, 0, big);
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().kind(), Errc::kInvalidArgument);
  EXPECT_TRUE(encode_frame(1, MessageType::kRequest, 0, std::string(kMaxDataSize, 'x')));
}

TEST(TtrpcFrame, SkipsAnOversizedFrameAndDecodesTheNext) {
  // Header declaring 4 MiB + 10 bytes, followed by those bytes, then a good frame.
  const std::uint32_t len = kMaxDataSize + 10;
  std::string header("\x00\x00\x00\x00\x00\x00\x00\x05\x01\x00", 10);
  header[0] = static_cast<char>(len >> 24);
  header[1] = static_cast<char>((len >> 16) & 0xff);
  header[2] = static_cast<char>((len >> 8) & 0xff);
  header[3] = static_cast<char>(len & 0xff);
  FrameDecoder decoder;
  decoder.feed(header);
  auto over = decoder.next();
  ASSERT_TRUE(over);
  EXPECT_EQ(over->oversized_length, len);
  EXPECT_EQ(over->stream_id, 5U);
  EXPECT_TRUE(over->data.empty());
  const std::string junk(64 * 1024, 'j');
  for (std::uint32_t sent = 0; sent < len; sent += junk.size())
    decoder.feed(std::string_view(junk).substr(0, std::min<std::size_t>(junk.size(), len - sent)));
  EXPECT_FALSE(decoder.next());
  auto good = encode_frame(7, MessageType::kRequest, 0, "ok");
  ASSERT_TRUE(good);
  decoder.feed(*good);
  auto f = decoder.next();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stream_id, 7U);
  EXPECT_EQ(f->data, "ok");
}

}  // namespace
}  // namespace keel::ttrpc
