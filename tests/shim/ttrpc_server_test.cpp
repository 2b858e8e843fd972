// Pins the ttrpc server (shim/ttrpc/server.cpp) over a socketpair: dispatch, refusals of unknown
// methods and malformed or oversized frames, deferred replies, and that it keeps serving after.
#include <sys/socket.h>

#include <optional>

#include <gtest/gtest.h>

#include "shim/ttrpc/server.h"
#include "shimapi/ttrpc/client.h"
#include "ttrpc/request.pb.h"

namespace keel::ttrpc {
namespace {

using shim::EventLoop;

constexpr const char* kService = "keel.test.Echo";

class TtrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = EventLoop::create();
    ASSERT_TRUE(l);
    loop_.emplace(std::move(*l));
    server_ = std::make_unique<Server>(*loop_);
    server_->register_method(kService, "Echo", [](const std::string& payload, const Reply& r) {
      r.ok("echo:" + payload);
    });
    server_->register_method(kService, "Later",
                             [this](const std::string&, const Reply& r) { later_.push_back(r); });
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
    ASSERT_TRUE(server_->add_connection(UniqueFd(sv[0])));
    UniqueFd client_end(sv[1]);
    // One thread: the socket buffers hold a whole request, so a test sends, runs the loop, reads.
    client_.emplace(std::move(client_end));
  }

  // Sends raw bytes, runs the loop until the server has answered, returns the next frame.
  Frame exchange(const std::string& bytes) {
    EXPECT_TRUE(client_->send_raw(bytes));
    for (int i = 0; i < 5; ++i)
      EXPECT_TRUE(loop_->run_once(10));
    auto f = client_->read_frame(std::chrono::seconds(2));
    EXPECT_TRUE(f) << f.error().message();
    return f ? std::move(*f) : Frame{};
  }

  static std::string request(std::uint32_t stream, const std::string& service,
                             const std::string& method, const std::string& payload) {
    ::ttrpc::Request r;
    r.set_service(service);
    r.set_method(method);
    r.set_payload(payload);
    return *encode_frame(stream, MessageType::kRequest, 0, r.SerializeAsString());
  }

  static ::ttrpc::Response response(const Frame& f) {
    EXPECT_EQ(f.type, static_cast<std::uint8_t>(MessageType::kResponse));
    ::ttrpc::Response r;
    EXPECT_TRUE(r.ParseFromString(f.data));
    return r;
  }

  std::optional<EventLoop> loop_;
  std::unique_ptr<Server> server_;
  std::optional<Client> client_;
  std::vector<Reply> later_;
};

TEST_F(TtrpcServerTest, DispatchesByServiceAndMethod) {
  auto f = exchange(request(1, kService, "Echo", "hi"));
  EXPECT_EQ(f.stream_id, 1U);
  auto r = response(f);
  EXPECT_EQ(r.status().code(), 0);
  EXPECT_EQ(r.payload(), "echo:hi");
}

TEST_F(TtrpcServerTest, UnknownMethodIsUnimplementedAndServingGoesOn) {
  auto r = response(exchange(request(1, kService, "Nope", "")));
  EXPECT_EQ(r.status().code(), static_cast<int>(Code::kUnimplemented));
  EXPECT_NE(r.status().message().find("keel.test.Echo/Nope"), std::string::npos);
  r = response(exchange(request(3, "other.Service", "Echo", "")));
  EXPECT_EQ(r.status().code(), static_cast<int>(Code::kUnimplemented));
  r = response(exchange(request(5, kService, "Echo", "again")));
  EXPECT_EQ(r.status().code(), 0);
  EXPECT_EQ(r.payload(), "echo:again");
}

TEST_F(TtrpcServerTest, MalformedRequestIsInvalidArgumentAndServingGoesOn) {
  const std::string garbage("\xff\xff\xff\xff\xff", 5);
  auto f = exchange(*encode_frame(1, MessageType::kRequest, 0, garbage));
  EXPECT_EQ(response(f).status().code(), static_cast<int>(Code::kInvalidArgument));
  f = exchange(request(2, kService, "Echo", "even"));  // even ids belong to the server
  EXPECT_EQ(f.stream_id, 2U);
  EXPECT_EQ(response(f).status().code(), static_cast<int>(Code::kInvalidArgument));
  f = exchange(request(3, kService, "Echo", "x"));
  EXPECT_EQ(response(f).payload(), "echo:x");
}

TEST_F(TtrpcServerTest, OversizedFrameIsRefusedOnItsStreamAndServingGoesOn) {
  const std::uint32_t len = kMaxDataSize + 1;
  std::string header(10, '\0');
  header[0] = static_cast<char>(len >> 24);
  header[1] = static_cast<char>((len >> 16) & 0xff);
  header[2] = static_cast<char>((len >> 8) & 0xff);
  header[3] = static_cast<char>(len & 0xff);
  header[7] = 9;
  header[8] = 1;
  ASSERT_TRUE(client_->send_raw(header));
  // Send the declared bytes in pieces, letting the server drain them in between.
  const std::string chunk(64 * 1024, 'z');
  for (std::uint32_t sent = 0; sent < len;) {
    const std::size_t n = std::min<std::size_t>(chunk.size(), len - sent);
    ASSERT_TRUE(client_->send_raw(std::string_view(chunk).substr(0, n)));
    sent += static_cast<std::uint32_t>(n);
    ASSERT_TRUE(loop_->run_once(0));
  }
  ASSERT_TRUE(loop_->run_once(10));
  auto f = client_->read_frame(std::chrono::seconds(2));
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->stream_id, 9U);
  EXPECT_EQ(response(*f).status().code(), static_cast<int>(Code::kResourceExhausted));
  auto r = response(exchange(request(11, kService, "Echo", "after")));
  EXPECT_EQ(r.payload(), "echo:after");
}

TEST_F(TtrpcServerTest, DeferredReplyArrivesWhenSentAndNotBefore) {
  ASSERT_TRUE(client_->send_raw(request(1, kService, "Later", "")));
  ASSERT_TRUE(loop_->run_once(10));
  ASSERT_EQ(later_.size(), 1U);
  auto early = client_->read_frame(std::chrono::milliseconds(50));
  EXPECT_FALSE(early);
  auto r = response(exchange(request(3, kService, "Echo", "meanwhile")));
  EXPECT_EQ(r.payload(), "echo:meanwhile");
  later_[0].send(Status{Code::kNotFound, "gone"});
  auto f = client_->read_frame(std::chrono::seconds(2));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->stream_id, 1U);
  EXPECT_EQ(response(*f).status().code(), static_cast<int>(Code::kNotFound));
}

TEST_F(TtrpcServerTest, ClosedConnectionIsDroppedAndLateReplyIsHarmless) {
  ASSERT_TRUE(client_->send_raw(request(1, kService, "Later", "")));
  ASSERT_TRUE(loop_->run_once(10));
  ASSERT_EQ(server_->connection_count(), 1U);
  client_.reset();
  ASSERT_TRUE(loop_->run_once(10));
  EXPECT_EQ(server_->connection_count(), 0U);
  ASSERT_EQ(later_.size(), 1U);
  later_[0].ok("nobody listens");
}

TEST(TtrpcStatus, MapsErrcToCodes) {
  EXPECT_EQ(code_of(Errc::kNotFound), Code::kNotFound);
  EXPECT_EQ(code_of(Errc::kAlreadyExists), Code::kAlreadyExists);
  EXPECT_EQ(code_of(Errc::kFailedPrecondition), Code::kFailedPrecondition);
  EXPECT_EQ(code_of(Errc::kInternal), Code::kInternal);
  auto s = Status::from(Error::of(Errc::kNotFound, "process \"x\""));
  EXPECT_EQ(s.code, Code::kNotFound);
  EXPECT_EQ(s.message, "process \"x\"");
}

}  // namespace
}  // namespace keel::ttrpc
