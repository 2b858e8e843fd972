// One attach or exec session on a bidirectional keel.v1 stream, the same for both: a thread
// feeds the client's messages (resize, close_stdin, stdin) to the process while this one relays
// its output, then sends the exit code last.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "keel/v1/tasks.pb.h"
#include "manager/containers/stdio_relay.h"

namespace keel::manager::server {

// Output and the end of the process go to the client through one writer at a time.
template <class Stream>
class IoSender {
 public:
  explicit IoSender(Stream* stream) : stream_(stream) {}
  bool output(bool is_stderr, std::string_view bytes) {
    keel::v1::IoMessage message;
    if (is_stderr)
      message.set_stderr(bytes.data(), bytes.size());
    else
      message.set_stdout(bytes.data(), bytes.size());
    return send(message);
  }
  bool send(const keel::v1::IoMessage& message) {
    std::lock_guard lock(mutex_);
    return stream_->Write(message);
  }

 private:
  Stream* stream_;
  std::mutex mutex_;
};

struct SessionHooks {
  // A terminal resize from the client (cols, rows).
  std::function<void(std::uint32_t, std::uint32_t)> resize;
  // Whether output of that stream goes to the client; empty: all of it.
  std::function<bool(bool is_stderr)> wants;
  // Once the output ended: the exit code to send, nullopt for none. client_gone: the client
  // half-closed or cancelled before the process ended.
  std::function<std::optional<int>(bool client_gone)> exit_code;
};

// Runs the session to its end; the stream's first message (the start) was read by the caller.
template <class Request>
void run_stdio_session(grpc::ServerContext* context,
                       grpc::ServerReaderWriter<keel::v1::IoMessage, Request>* stream,
                       IoSender<grpc::ServerReaderWriter<keel::v1::IoMessage, Request>>& sender,
                       containers::StdioRelay& relay, const SessionHooks& hooks) {
  std::atomic<bool> client_gone = false;
  std::mutex gone_mutex;
  std::condition_variable gone;
  std::thread input([&] {
    Request message;
    while (stream->Read(&message)) {
      if (message.has_resize())
        hooks.resize(message.resize().cols(), message.resize().rows());
      else if (message.close_stdin())
        relay.close_stdin();
      else if (!message.stdin().empty())
        relay.write_stdin(message.stdin());
    }
    {
      std::lock_guard lock(gone_mutex);
      client_gone = true;
    }
    gone.notify_all();
  });
  relay.pump(
      [&](bool is_stderr, std::string_view bytes) {
        return hooks.wants && !hooks.wants(is_stderr) ? true : sender.output(is_stderr, bytes);
      },
      [&] { return client_gone.load() || context->IsCancelled(); });
  if (auto code = hooks.exit_code(client_gone.load() || context->IsCancelled())) {
    keel::v1::IoMessage last;
    last.set_exit_code(*code);
    sender.send(last);
  }
  // The input thread ends when the client half-closes after the exit code, and the client's
  // call ends only once this handler returns: woken at once, not at the next tick of a poll
  // (a 40 ms sleep here added up to 40 ms to every attached run). A client that never
  // half-closes is cut off after a moment so the handler thread is not held forever.
  {
    std::unique_lock lock(gone_mutex);
    if (!gone.wait_for(lock, std::chrono::seconds(2), [&] { return client_gone.load(); }))
      context->TryCancel();
  }
  input.join();
}

}  // namespace keel::manager::server
