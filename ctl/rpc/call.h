// One gRPC call on its own HTTP/2 connection (cleartext, prior knowledge) to a unix socket, with
// nghttp2 doing the HTTP/2: framing, HPACK, flow control, settings and ping acks. Messages go in
// and out as bytes; call_kinds.h puts protobuf types on them.
//
// Threads: Read and Write may run at once on different threads (attach reads output while stdin
// and resizes are written), and cancel() comes from anywhere. One mutex guards the session; a
// thread that must wait for the socket polls it with the mutex released ("whoever waits pumps"),
// the others wait on a condition variable, and an eventfd wakes the poller when they queued
// something it must send. A unary call runs on the caller's thread alone and starts none.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <nghttp2/nghttp2.h>

#include "ctl/rpc/channel.h"
#include "ctl/rpc/context.h"
#include "ctl/rpc/message_framing.h"
#include "ctl/rpc/status.h"

namespace keel::rpc {

// Messages larger than this either way fail the call (RESOURCE_EXHAUSTED), as keelctl's gRPC
// channel was configured.
inline constexpr std::size_t kMaxMessageSize = 64U << 20;

class Call {
 public:
  // Connects and queues the request headers for `method` ("/keel.v1.Tasks/Start"); they leave
  // with the first write or wait. A failure to connect is not thrown: the call is then finished
  // and finish() returns it.
  static std::unique_ptr<Call> start(const Channel& channel, std::string_view method,
                                     ClientContext& context);
  ~Call();
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

  // Sends one message, `last` closing the request side with it. Returns once the bytes are handed
  // to HTTP/2 (flow control permitting); false when the call already ended.
  bool write(std::string_view message, bool last = false);
  // Closes the request side; false when the call already ended.
  bool writes_done();
  // The next response message; false at the end of the stream or when the call failed.
  bool read(std::string& message);
  // Waits for the end of the call and returns its status.
  Status finish();
  // Ends the call with `status` unless it already ended; resets the stream. Any thread.
  void fail(Status status);
  void cancel() { fail({StatusCode::CANCELLED, "Cancelled"}); }

 private:
  Call(ClientContext& context, std::string method);
  void connect(const std::string& socket_path);
  [[nodiscard]] bool submit_request();

  // With the mutex held: true once the call can make no more progress.
  [[nodiscard]] bool ended() const;
  // Pumps the socket (or waits for the thread that does) until done() or ended().
  void wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done);
  void pump_once(std::unique_lock<std::mutex>& lock);
  void receive();
  // Moves nghttp2's queued frames to the socket as far as it takes them.
  void flush();
  void wake_poller();
  // With the mutex held: ends the call with `status` unless it already ended and queues a
  // RST_STREAM; safe inside nghttp2's callbacks (it sends nothing itself).
  void end_call(Status status);
  // The socket failed or closed: nothing more is read or sent.
  void end_connection(const std::string& why);
  void resume_body();

  static ssize_t read_data(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source* source, void* user_data);
  static int on_header(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                       void* user_data);
  static int on_data_chunk(nghttp2_session* session, uint8_t flags, int32_t stream_id,
                           const uint8_t* data, size_t len, void* user_data);
  static int on_frame(nghttp2_session* session, const nghttp2_frame* frame, void* user_data);
  static int on_stream_close(nghttp2_session* session, int32_t stream_id, uint32_t error_code,
                             void* user_data);

  ClientContext& context_;
  std::string method_;
  std::optional<std::chrono::steady_clock::time_point> deadline_;

  std::mutex mutex_;
  std::condition_variable changed_;
  bool pumping_ = false;

  int socket_ = -1;
  int wake_fd_ = -1;
  nghttp2_session* session_ = nullptr;
  int32_t stream_id_ = -1;
  // Bytes nghttp2 produced that the socket did not take yet.
  std::string unsent_;
  bool socket_full_ = false;
  bool broken_ = false;

  // The request body waiting for nghttp2, and whether the request side is closed after it.
  std::string outgoing_;
  std::size_t outgoing_sent_ = 0;
  bool outgoing_last_ = false;
  bool data_deferred_ = false;

  MessageAssembler incoming_{kMaxMessageSize};
  int http_status_ = 0;
  std::optional<std::string> grpc_status_;
  std::string grpc_message_;
  bool remote_ended_ = false;
  bool stream_closed_ = false;
  uint32_t reset_code_ = 0;
  bool reached_server_ = false;
  // Set when the call ended here: cancelled, past its deadline, a broken connection.
  std::optional<Status> local_status_;
};

}  // namespace keel::rpc
