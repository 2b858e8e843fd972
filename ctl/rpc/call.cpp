#include "ctl/rpc/call.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

namespace keel::rpc {
namespace {

// The receive window keelctl offers for its stream and connection. HTTP/2's default of 64 KiB
// would make a large download (cp, save, export) wait for a WINDOW_UPDATE round trip every 64 KiB.
constexpr int32_t kReceiveWindow = 4 << 20;
// How many bytes of frames one send() carries at most.
constexpr std::size_t kSendBatch = 256 << 10;

nghttp2_nv header(std::string_view name, std::string_view value) {
  // NOLINTBEGIN: nghttp2's C API takes non-const bytes; it only reads them and copies them.
  return {const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name.data())),
          const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())), name.size(),
          value.size(), NGHTTP2_NV_FLAG_NONE};
  // NOLINTEND
}

// grpc-timeout: at most eight digits and a unit; milliseconds while they fit, then seconds.
std::string grpc_timeout(std::chrono::steady_clock::duration left) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
  if (ms < 100'000'000)
    return std::to_string(std::max<std::int64_t>(ms, 1)) + "m";
  return std::to_string(std::min<std::int64_t>(ms / 1000, 99'999'999)) + "S";
}

std::string errno_text(int errnum) {
  return std::strerror(errnum);
}

}  // namespace

Call::Call(ClientContext& context, std::string method)
    : context_(context), method_(std::move(method)) {
  if (auto deadline = context.deadline())
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    *deadline - std::chrono::system_clock::now());
}

std::unique_ptr<Call> Call::start(const Channel& channel, std::string_view method,
                                  ClientContext& context) {
  std::unique_ptr<Call> call(new Call(context, std::string(method)));
  call->connect(channel.socket_path());
  context.attach(call.get());
  return call;
}

Call::~Call() {
  context_.detach(this);
  {
    std::lock_guard lock(mutex_);
    // Abandoned mid-call: tell the server, as far as the socket takes it without waiting.
    if (!ended() && session_ != nullptr && stream_id_ > 0) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id_, NGHTTP2_CANCEL);
      flush();
    }
  }
  if (session_ != nullptr)
    nghttp2_session_del(session_);
  if (socket_ >= 0)
    ::close(socket_);
  if (wake_fd_ >= 0)
    ::close(wake_fd_);
}

void Call::connect(const std::string& socket_path) {
  if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
    local_status_ = Status(StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded");
    return;
  }
  const std::string target = "unix:" + socket_path;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) {
    local_status_ = Status::not_connected(target + ": socket path too long");
    return;
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  socket_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (socket_ < 0 ||
      ::connect(socket_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 ||
      ::fcntl(socket_, F_SETFL, O_NONBLOCK) != 0) {
    local_status_ =
        Status::not_connected("failed to connect to " + target + ": " + errno_text(errno));
    return;
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    local_status_ = Status(StatusCode::INTERNAL, "eventfd: " + errno_text(errno));
    return;
  }

  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) {
    local_status_ = Status(StatusCode::RESOURCE_EXHAUSTED, "nghttp2: out of memory");
    return;
  }
  nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
  const int created = nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (created != 0) {
    session_ = nullptr;
    local_status_ =
        Status(StatusCode::INTERNAL, std::string("nghttp2: ") + nghttp2_strerror(created));
    return;
  }
  const std::array<nghttp2_settings_entry, 2> settings{{
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kReceiveWindow)},
  }};
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size()) != 0 ||
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kReceiveWindow) != 0 ||
      !submit_request())
    local_status_ = Status(StatusCode::INTERNAL, "nghttp2: cannot queue the request");
}

bool Call::submit_request() {
  std::vector<nghttp2_nv> headers = {
      header(":method", "POST"),
      header(":scheme", "http"),
      header(":path", method_),
      header(":authority", "localhost"),
      header("content-type", "application/grpc"),
      header("te", "trailers"),
  };
  std::string timeout;
  if (deadline_) {
    timeout = grpc_timeout(*deadline_ - std::chrono::steady_clock::now());
    headers.push_back(header("grpc-timeout", timeout));
  }
  nghttp2_data_provider body{};
  body.source.ptr = this;
  body.read_callback = read_data;
  stream_id_ =
      nghttp2_submit_request(session_, nullptr, headers.data(), headers.size(), &body, this);
  return stream_id_ > 0;
}

bool Call::ended() const {
  return local_status_.has_value() || remote_ended_ || stream_closed_;
}

bool Call::write(std::string_view message, bool last) {
  std::unique_lock lock(mutex_);
  if (ended() || outgoing_last_)
    return false;
  if (message.size() > kMaxMessageSize) {
    end_call({StatusCode::RESOURCE_EXHAUSTED, "Sent message larger than max (" +
                                                  std::to_string(message.size()) + " vs. " +
                                                  std::to_string(kMaxMessageSize) + ")"});
    flush();
    return false;
  }
  outgoing_ += frame_message(message);
  outgoing_last_ = last;
  resume_body();
  flush();
  wake_poller();
  wait(lock, [&] { return outgoing_.empty(); });
  return outgoing_.empty() && !local_status_;
}

bool Call::writes_done() {
  std::unique_lock lock(mutex_);
  if (ended())
    return false;
  if (outgoing_last_)
    return true;
  outgoing_last_ = true;
  resume_body();
  flush();
  wake_poller();
  return true;
}

bool Call::read(std::string& message) {
  std::unique_lock lock(mutex_);
  flush();
  wait(lock, [&] { return incoming_.has_message(); });
  if (local_status_ || !incoming_.has_message())
    return false;
  message = incoming_.take_message();
  return true;
}

Status Call::finish() {
  std::unique_lock lock(mutex_);
  flush();
  wait(lock, [] { return false; });
  if (local_status_)
    return *local_status_;
  if (grpc_status_)
    return status_from_trailers(*grpc_status_, grpc_message_);
  if (http_status_ != 0 && http_status_ != 200)
    return {code_from_http_status(http_status_),
            "Received http2 header with status: " + std::to_string(http_status_)};
  if (reset_code_ == NGHTTP2_CANCEL)
    return {StatusCode::CANCELLED, "Cancelled"};
  if (reset_code_ == NGHTTP2_REFUSED_STREAM)
    return {StatusCode::UNAVAILABLE, "Stream refused by the server"};
  if (reset_code_ != 0)
    return {StatusCode::INTERNAL,
            "Received RST_STREAM with error code " + std::to_string(reset_code_)};
  return {StatusCode::INTERNAL, "Server closed the stream without sending trailers"};
}

void Call::fail(Status status) {
  std::lock_guard lock(mutex_);
  end_call(std::move(status));
  flush();
  wake_poller();
}

void Call::end_call(Status status) {
  if (ended())
    return;
  local_status_ = std::move(status);
  if (session_ != nullptr && stream_id_ > 0)
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id_, NGHTTP2_CANCEL);
  changed_.notify_all();
}

void Call::end_connection(const std::string& why) {
  broken_ = true;
  if (ended())
    return;
  local_status_ =
      reached_server_ ? Status(StatusCode::UNAVAILABLE, why) : Status::not_connected("unix:" + why);
  changed_.notify_all();
}

void Call::resume_body() {
  if (data_deferred_ && session_ != nullptr) {
    data_deferred_ = false;
    nghttp2_session_resume_data(session_, stream_id_);
  }
}

void Call::wait(std::unique_lock<std::mutex>& lock, const std::function<bool()>& done) {
  while (!done() && !ended()) {
    if (pumping_) {
      changed_.wait(lock);
      continue;
    }
    pump_once(lock);
  }
}

void Call::pump_once(std::unique_lock<std::mutex>& lock) {
  pumping_ = true;
  int timeout_ms = -1;
  if (deadline_) {
    const auto left = *deadline_ - std::chrono::steady_clock::now();
    timeout_ms = static_cast<int>(
        std::max<std::int64_t>(0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
  }
  std::array<pollfd, 2> fds{
      {{socket_, static_cast<short>(POLLIN | (socket_full_ ? POLLOUT : 0)), 0},
       {wake_fd_, POLLIN, 0}}};
  lock.unlock();
  const int ready = ::poll(fds.data(), fds.size(), timeout_ms);
  const int poll_errno = errno;
  lock.lock();
  pumping_ = false;
  if (ready < 0 && poll_errno != EINTR) {
    end_connection("poll: " + errno_text(poll_errno));
  } else if (ready > 0) {
    if ((fds[1].revents & POLLIN) != 0) {
      uint64_t count = 0;
      (void)!::read(wake_fd_, &count, sizeof(count));
    }
    if ((fds[0].revents & POLLOUT) != 0)
      socket_full_ = false;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0)
      receive();
  }
  if (deadline_ && std::chrono::steady_clock::now() >= *deadline_)
    end_call({StatusCode::DEADLINE_EXCEEDED, "Deadline Exceeded"});
  flush();
  changed_.notify_all();
}

void Call::receive() {
  // Left uninitialised: read() fills what it returns, and zeroing 16 KiB on every turn was an
  // eighth of the cache lines a short call wrote.
  std::array<uint8_t, 16384> buffer;
  // A bounded number of reads per turn, so a busy download lets a waiting writer in.
  for (int i = 0; i < 16 && !broken_; ++i) {
    const ssize_t n = ::read(socket_, buffer.data(), buffer.size());
    if (n > 0) {
      const auto used = nghttp2_session_mem_recv(session_, buffer.data(), static_cast<size_t>(n));
      if (used < 0)
        end_connection(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(used)));
      // A short read emptied the socket: what comes later wakes the next poll. Reading on to
      // EAGAIN cost a system call a turn, three in a short call.
      if (static_cast<std::size_t>(n) < buffer.size())
        return;
      continue;
    }
    if (n == 0) {
      end_connection("Socket closed");
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno != EAGAIN)
      end_connection("read: " + errno_text(errno));
    return;
  }
}

void Call::flush() {
  if (session_ == nullptr || broken_)
    return;
  while (true) {
    // Frames are gathered into one send (preface, settings, headers and a small request go out
    // together), and only while the socket keeps up: what nghttp2 hands out here is off flow
    // control's books.
    while (unsent_.size() < kSendBatch) {
      const uint8_t* data = nullptr;
      const ssize_t produced = nghttp2_session_mem_send(session_, &data);
      if (produced < 0) {
        end_connection(std::string("HTTP/2: ") + nghttp2_strerror(static_cast<int>(produced)));
        return;
      }
      if (produced == 0)
        break;
      unsent_.append(reinterpret_cast<const char*>(data), static_cast<std::size_t>(produced));
    }
    if (unsent_.empty())
      return;
    const ssize_t sent = ::send(socket_, unsent_.data(), unsent_.size(), MSG_NOSIGNAL);
    if (sent >= 0) {
      unsent_.erase(0, static_cast<std::size_t>(sent));
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN) {
      socket_full_ = true;
      return;
    }
    end_connection("send: " + errno_text(errno));
    return;
  }
}

void Call::wake_poller() {
  if (pumping_ && wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
}

ssize_t Call::read_data(nghttp2_session* /*session*/, int32_t /*stream_id*/, uint8_t* buf,
                        size_t length, uint32_t* data_flags, nghttp2_data_source* /*source*/,
                        void* user_data) {
  auto* self = static_cast<Call*>(user_data);
  const std::size_t left = self->outgoing_.size() - self->outgoing_sent_;
  if (left == 0) {
    if (self->outgoing_last_) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    self->data_deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const std::size_t n = std::min(left, length);
  std::memcpy(buf, self->outgoing_.data() + self->outgoing_sent_, n);
  self->outgoing_sent_ += n;
  if (self->outgoing_sent_ == self->outgoing_.size()) {
    self->outgoing_.clear();
    self->outgoing_sent_ = 0;
    if (self->outgoing_last_)
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    self->changed_.notify_all();
  }
  return static_cast<ssize_t>(n);
}

int Call::on_header(nghttp2_session* /*session*/, const nghttp2_frame* frame, const uint8_t* name,
                    size_t namelen, const uint8_t* value, size_t valuelen, uint8_t /*flags*/,
                    void* user_data) {
  auto* self = static_cast<Call*>(user_data);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->hd.stream_id != self->stream_id_)
    return 0;
  const std::string_view key(reinterpret_cast<const char*>(name), namelen);
  const std::string_view text(reinterpret_cast<const char*>(value), valuelen);
  if (key == ":status")
    self->http_status_ = std::atoi(std::string(text).c_str());
  else if (key == "grpc-status")
    self->grpc_status_ = std::string(text);
  else if (key == "grpc-message")
    self->grpc_message_ = std::string(text);
  return 0;
}

int Call::on_data_chunk(nghttp2_session* /*session*/, uint8_t /*flags*/, int32_t stream_id,
                        const uint8_t* data, size_t len, void* user_data) {
  auto* self = static_cast<Call*>(user_data);
  if (stream_id != self->stream_id_ || self->local_status_)
    return 0;
  if (auto error = self->incoming_.feed({reinterpret_cast<const char*>(data), len}))
    self->end_call(std::move(*error));
  return 0;
}

int Call::on_frame(nghttp2_session* /*session*/, const nghttp2_frame* frame, void* user_data) {
  auto* self = static_cast<Call*>(user_data);
  if (frame->hd.type == NGHTTP2_SETTINGS && (frame->hd.flags & NGHTTP2_FLAG_ACK) == 0)
    self->reached_server_ = true;
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      frame->hd.stream_id == self->stream_id_ && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0)
    self->remote_ended_ = true;
  return 0;
}

int Call::on_stream_close(nghttp2_session* /*session*/, int32_t stream_id, uint32_t error_code,
                          void* user_data) {
  auto* self = static_cast<Call*>(user_data);
  if (stream_id == self->stream_id_) {
    self->stream_closed_ = true;
    self->reset_code_ = error_code;
  }
  return 0;
}

}  // namespace keel::rpc
