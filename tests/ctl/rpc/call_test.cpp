// keelctl's gRPC client (ctl/rpc/) against a real grpc++ server on a unix socket in a temp dir.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <thread>

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "ctl/rpc/call_kinds.h"
#include "echo.grpc.pb.h"

namespace keel::rpc {
namespace {

using keel::rpctest::Blob;

class EchoService final : public keel::rpctest::Echo::Service {
 public:
  grpc::Status Unary(grpc::ServerContext* /*context*/, const Blob* request, Blob* reply) override {
    *reply = *request;
    return grpc::Status::OK;
  }
  grpc::Status Fail(grpc::ServerContext* /*context*/, const Blob* request,
                    Blob* /*reply*/) override {
    return {static_cast<grpc::StatusCode>(request->count()), request->text()};
  }
  grpc::Status Many(grpc::ServerContext* /*context*/, const Blob* request,
                    grpc::ServerWriter<Blob>* writer) override {
    for (int i = 0; i < request->count(); ++i) {
      Blob blob;
      blob.set_count(i);
      blob.set_data(request->data());
      if (!writer->Write(blob))
        return {grpc::StatusCode::CANCELLED, "client went away"};
    }
    return grpc::Status::OK;
  }
  grpc::Status Gather(grpc::ServerContext* /*context*/, grpc::ServerReader<Blob>* reader,
                      Blob* reply) override {
    Blob blob;
    int count = 0;
    while (reader->Read(&blob)) {
      reply->mutable_data()->append(blob.data());
      ++count;
    }
    reply->set_count(count);
    return grpc::Status::OK;
  }
  grpc::Status Chat(grpc::ServerContext* /*context*/,
                    grpc::ServerReaderWriter<Blob, Blob>* stream) override {
    Blob blob;
    while (stream->Read(&blob))
      if (!stream->Write(blob))
        break;
    return {grpc::StatusCode::OK, ""};
  }
  grpc::Status Sleep(grpc::ServerContext* context, const Blob* request, Blob* reply) override {
    const auto until =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(request->count());
    while (std::chrono::steady_clock::now() < until && !context->IsCancelled())
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    *reply = *request;
    return grpc::Status::OK;
  }
};

class RpcCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/keel-rpc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    socket_ = dir_ + "/echo.sock";
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_, grpc::InsecureServerCredentials());
    builder.SetMaxReceiveMessageSize(64 << 20);
    builder.SetMaxSendMessageSize(64 << 20);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (server_)
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    std::filesystem::remove_all(dir_);
  }
  [[nodiscard]] Channel channel() const { return Channel(socket_); }

  std::string dir_;
  std::string socket_;
  EchoService service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(RpcCallTest, UnaryReturnsTheResponse) {
  ClientContext context;
  Blob request;
  request.set_text("hello");
  request.set_count(7);
  Blob reply;
  const Status status =
      unary_call(channel(), "/keel.rpctest.Echo/Unary", &context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.text(), "hello");
  EXPECT_EQ(reply.count(), 7);
}

TEST_F(RpcCallTest, UnaryWithAnEmptyRequestAndResponse) {
  ClientContext context;
  Blob reply;
  reply.set_count(3);
  const Status status = unary_call(channel(), "/keel.rpctest.Echo/Unary", &context, Blob(), &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.count(), 0);
}

TEST_F(RpcCallTest, ErrorStatusWithAPercentEncodedMessage) {
  ClientContext context;
  Blob request;
  request.set_count(static_cast<int>(grpc::StatusCode::NOT_FOUND));
  request.set_text("no such container: \"web\" 100% gone\n\xc3\xa9t\xc3\xa9");
  Blob reply;
  const Status status = unary_call(channel(), "/keel.rpctest.Echo/Fail", &context, request, &reply);
  EXPECT_EQ(status.error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), request.text());
  EXPECT_TRUE(status.reached_server());
}

TEST_F(RpcCallTest, UnknownMethodIsUnimplemented) {
  ClientContext context;
  Blob reply;
  const Status status =
      unary_call(channel(), "/keel.rpctest.Echo/Missing", &context, Blob(), &reply);
  EXPECT_EQ(status.error_code(), StatusCode::UNIMPLEMENTED);
}

TEST_F(RpcCallTest, ServerStreamingDeliversEveryMessageInOrder) {
  ClientContext context;
  Blob request;
  request.set_count(2000);
  request.set_data(std::string(100, 'x'));
  ClientReader<Blob> reader(channel(), "/keel.rpctest.Echo/Many", &context, request);
  Blob blob;
  int expected = 0;
  while (reader.Read(&blob)) {
    ASSERT_EQ(blob.count(), expected);
    ASSERT_EQ(blob.data().size(), 100U);
    ++expected;
  }
  EXPECT_EQ(expected, 2000);
  EXPECT_TRUE(reader.Finish().ok());
}

TEST_F(RpcCallTest, ClientStreamingGathersTheWrites) {
  ClientContext context;
  Blob reply;
  ClientWriter<Blob, Blob> writer(channel(), "/keel.rpctest.Echo/Gather", &context, &reply);
  std::string expected;
  for (int i = 0; i < 300; ++i) {
    Blob blob;
    blob.set_data(std::string(1000, static_cast<char>('a' + i % 26)));
    expected += blob.data();
    ASSERT_TRUE(writer.Write(blob));
  }
  ASSERT_TRUE(writer.WritesDone());
  const Status status = writer.Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(reply.count(), 300);
  EXPECT_EQ(reply.data(), expected);
}

// A message larger than a DATA frame (16 KiB) and than HTTP/2's initial window (64 KiB): both
// directions need frame splitting and WINDOW_UPDATEs.
TEST_F(RpcCallTest, FiveMegabyteMessageBothWays) {
  std::string data(5 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = static_cast<char>(i * 131 % 251);
  ClientContext context;
  Blob request;
  request.set_data(data);
  Blob reply;
  const Status status =
      unary_call(channel(), "/keel.rpctest.Echo/Unary", &context, request, &reply);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(reply.data() == data);
}

TEST_F(RpcCallTest, SeventeenKilobyteMessage) {
  ClientContext context;
  Blob request;
  request.set_data(std::string(17 * 1024, 'q'));
  Blob reply;
  ASSERT_TRUE(unary_call(channel(), "/keel.rpctest.Echo/Unary", &context, request, &reply).ok());
  EXPECT_EQ(reply.data(), request.data());
}

// Attach's pattern: one thread reads while another writes, on one stream.
TEST_F(RpcCallTest, BidiReadsAndWritesFromTwoThreads) {
  ClientContext context;
  ClientReaderWriter<Blob, Blob> stream(channel(), "/keel.rpctest.Echo/Chat", &context);
  constexpr int kMessages = 500;
  std::thread writer([&] {
    for (int i = 0; i < kMessages; ++i) {
      Blob blob;
      blob.set_count(i);
      blob.set_data(std::string(i % 7 == 0 ? 70000 : 10, 'w'));
      ASSERT_TRUE(stream.Write(blob));
    }
    EXPECT_TRUE(stream.WritesDone());
  });
  Blob blob;
  int received = 0;
  while (stream.Read(&blob)) {
    EXPECT_EQ(blob.count(), received);
    ++received;
  }
  writer.join();
  EXPECT_EQ(received, kMessages);
  EXPECT_TRUE(stream.Finish().ok());
}

TEST_F(RpcCallTest, TryCancelFromAnotherThreadEndsARead) {
  ClientContext context;
  ClientReaderWriter<Blob, Blob> stream(channel(), "/keel.rpctest.Echo/Chat", &context);
  ASSERT_TRUE(stream.Write(Blob()));
  Blob blob;
  ASSERT_TRUE(stream.Read(&blob));
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    context.TryCancel();
  });
  EXPECT_FALSE(stream.Read(&blob));
  canceller.join();
  EXPECT_FALSE(stream.Write(Blob()));
  EXPECT_EQ(stream.Finish().error_code(), StatusCode::CANCELLED);
}

TEST_F(RpcCallTest, DeadlineExpires) {
  ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(100));
  Blob request;
  request.set_count(5000);
  Blob reply;
  const auto started = std::chrono::steady_clock::now();
  const Status status =
      unary_call(channel(), "/keel.rpctest.Echo/Sleep", &context, request, &reply);
  EXPECT_EQ(status.error_code(), StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
}

TEST_F(RpcCallTest, DeadlineLongEnough) {
  ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  Blob request;
  request.set_count(20);
  Blob reply;
  EXPECT_TRUE(unary_call(channel(), "/keel.rpctest.Echo/Sleep", &context, request, &reply).ok());
  EXPECT_EQ(reply.count(), 20);
}

TEST_F(RpcCallTest, MissingSocketIsNotConnected) {
  ClientContext context;
  Blob reply;
  const Status status = unary_call(Channel(dir_ + "/nothing.sock"), "/keel.rpctest.Echo/Unary",
                                   &context, Blob(), &reply);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_FALSE(status.reached_server());
  EXPECT_NE(status.error_message().find("nothing.sock"), std::string::npos);
}

TEST_F(RpcCallTest, SocketThatClosesAtOnceIsNotConnected) {
  // A listener that accepts and closes without speaking HTTP/2: keeld dying as we connect.
  const std::string path = dir_ + "/closing.sock";
  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  std::thread closer([&] {
    const int peer = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (peer >= 0)
      ::close(peer);
  });
  ClientContext context;
  Blob reply;
  const Status status =
      unary_call(Channel(path), "/keel.rpctest.Echo/Unary", &context, Blob(), &reply);
  closer.join();
  ::close(listener);
  EXPECT_EQ(status.error_code(), StatusCode::UNAVAILABLE);
  EXPECT_FALSE(status.reached_server());
}

TEST(RpcStatusTest, PercentDecoding) {
  EXPECT_EQ(percent_decode("a%20b%25c"), "a b%c");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%zz%4"), "%zz%4");
  EXPECT_EQ(status_from_trailers("5", "gone").error_code(), StatusCode::NOT_FOUND);
  EXPECT_EQ(status_from_trailers("x", "").error_code(), StatusCode::UNKNOWN);
  EXPECT_EQ(status_from_trailers("99", "").error_code(), StatusCode::UNKNOWN);
}

}  // namespace
}  // namespace keel::rpc
