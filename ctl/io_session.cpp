#include "ctl/io_session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <mutex>
#include <thread>

#include "common/fs.h"
#include "ctl/detach_keys.h"
#include "ctl/output.h"
#include "ctl/services.h"
#include "ctl/terminal.h"

namespace keel::ctl {
namespace {

// Signals a session handles instead of dying of them, so the terminal is restored first.
constexpr int kSessionSignals[] = {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

// The handler's pipe: whichever thread a signal lands on, its number ends up here.
int g_signal_pipe[2] = {-1, -1};

void on_signal(int sig) {
  const int saved = errno;
  const auto byte = static_cast<unsigned char>(sig);
  // Nothing can be done about a failure inside a handler; the pipe is non-blocking, so a full
  // one only drops a signal while many others already wait to be read.
  (void)!::write(g_signal_pipe[1], &byte, 1);
  errno = saved;
}

// Routes the session's signals to g_signal_pipe for its lifetime, then restores the handlers.
class SignalRoute {
 public:
  SignalRoute() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
      return;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    for (std::size_t i = 0; i < std::size(kSessionSignals); ++i)
      ::sigaction(kSessionSignals[i], &action, &saved_[i]);
  }
  ~SignalRoute() {
    if (g_signal_pipe[0] < 0)
      return;
    for (std::size_t i = 0; i < std::size(kSessionSignals); ++i)
      ::sigaction(kSessionSignals[i], &saved_[i], nullptr);
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    g_signal_pipe[0] = g_signal_pipe[1] = -1;
  }
  SignalRoute(const SignalRoute&) = delete;
  SignalRoute& operator=(const SignalRoute&) = delete;

 private:
  struct sigaction saved_[std::size(kSessionSignals)]{};
};

// A pipe whose read end becomes readable when the session ends, waking the stdin thread.
class StopPipe {
 public:
  StopPipe() {
    if (::pipe2(fds_, O_CLOEXEC) != 0)
      fds_[0] = fds_[1] = -1;
  }
  ~StopPipe() {
    for (int fd : fds_)
      if (fd >= 0)
        ::close(fd);
  }
  StopPipe(const StopPipe&) = delete;
  StopPipe& operator=(const StopPipe&) = delete;
  void raise() {
    if (fds_[1] >= 0) {
      ::close(fds_[1]);
      fds_[1] = -1;
    }
  }
  [[nodiscard]] int read_fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

// The signals keelctl receives: SIGWINCH resizes the tty; with proxy_to, every other signal is
// sent to that container (docker's --sig-proxy); without, the first one ends the session.
template <class Request>
void forward_signals(Client& client, const IoOptions& options, const StopPipe& stop,
                     const std::atomic<bool>& done, const std::function<void(const Request&)>& send,
                     rpc::ClientContext& context, std::atomic<int>& ended_by_signal) {
  auto stub = api::Tasks::NewStub(client.channel());
  while (!done && g_signal_pipe[0] >= 0) {
    struct pollfd fds[2] = {{g_signal_pipe[0], POLLIN, 0}, {stop.read_fd(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (fds[1].revents != 0)
      return;
    unsigned char byte = 0;
    if (::read(g_signal_pipe[0], &byte, 1) != 1)
      continue;
    const int sig = byte;
    if (sig == SIGWINCH) {
      if (!options.tty)
        continue;
      if (auto size = terminal_size()) {
        Request request;
        *request.mutable_resize() = *size;
        send(request);
      }
      continue;
    }
    if (!options.proxy_to.empty()) {
      keel::v1::KillRequest kill;
      kill.set_id(options.proxy_to);
      kill.set_signal(std::to_string(sig));
      keel::v1::Empty empty;
      rpc::ClientContext kill_context;
      kill_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      // docker's ForwardAllSignals ignores a failed kill too: the container may have just
      // exited, and then the stream is about to end with its exit code.
      (void)stub->Kill(&kill_context, kill, &empty);
      continue;
    }
    ended_by_signal = sig;
    context.TryCancel();
    return;
  }
}

// Runs the session's threads to their end. A write of the output that fails cancels the stream
// and comes back in output_failed, to be thrown once the threads are joined.
template <class Request>
IoResult run_session(Client& client, rpc::ClientContext& context,
                     rpc::ClientReaderWriter<Request, keel::v1::IoMessage>& stream,
                     const Request& first, const IoOptions& options,
                     std::optional<CommandError>& output_failed) {
  IoResult result;
  std::mutex write_mutex;
  bool writes_open = true;
  // Writes one request unless the stream is already closed for writing.
  auto send = [&](const Request& request) {
    std::lock_guard lock(write_mutex);
    if (writes_open && !stream.Write(request))
      writes_open = false;
  };
  send(first);

  std::atomic<bool> done{false};
  std::atomic<bool> detached{false};
  std::atomic<int> ended_by_signal{0};
  StopPipe stop;

  std::thread stdin_thread;
  if (options.send_stdin) {
    stdin_thread = std::thread([&] {
      DetachKeys keys(options.tty ? options.detach_keys : std::string());
      std::string buffer(32 * 1024, '\0');
      while (!done) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {stop.read_fd(), POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
          if (errno == EINTR)
            continue;
          break;
        }
        if (fds[1].revents != 0)
          return;
        const ssize_t n = ::read(STDIN_FILENO, buffer.data(), buffer.size());
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
          continue;
        if (n <= 0)
          break;
        const std::string data =
            keys.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        if (!data.empty()) {
          Request request;
          request.set_stdin(data);
          send(request);
        }
        if (keys.detached()) {
          detached = true;
          context.TryCancel();
          return;
        }
      }
      Request close;
      close.set_close_stdin(true);
      send(close);
    });
  }

  std::thread signal_thread([&] {
    forward_signals<Request>(client, options, stop, done, send, context, ended_by_signal);
  });

  auto output = [&](int fd, const std::string& data) {
    if (auto written = fs::write_all(fd, data); !written) {
      output_failed = output_failure(fd, written.error());
      context.TryCancel();
    }
  };
  keel::v1::IoMessage message;
  while (!output_failed && stream.Read(&message)) {
    switch (message.part_case()) {
      case keel::v1::IoMessage::kStdout:
        result.started = true;
        output(STDOUT_FILENO, message.stdout());
        break;
      case keel::v1::IoMessage::kStderr:
        result.started = true;
        output(options.tty ? STDOUT_FILENO : STDERR_FILENO, message.stderr());
        break;
      case keel::v1::IoMessage::kExitCode: {
        result.exit_code = message.exit_code();
        // The last message: closing our side lets keeld end the stream at once.
        std::lock_guard lock(write_mutex);
        if (writes_open)
          stream.WritesDone();
        writes_open = false;
        break;
      }
      case keel::v1::IoMessage::kExecId:
        result.started = true;
        result.exec_id = message.exec_id();
        break;
      case keel::v1::IoMessage::PART_NOT_SET:
        break;
    }
  }
  done = true;
  stop.raise();
  if (stdin_thread.joinable())
    stdin_thread.join();
  signal_thread.join();
  {
    std::lock_guard lock(write_mutex);
    if (writes_open)
      stream.WritesDone();
    writes_open = false;
  }
  result.status = stream.Finish();
  result.detached = detached;
  result.signal = ended_by_signal;
  return result;
}

template <class Request, class Open>
IoResult session(Client& client, const Request& first, const IoOptions& options, Open&& open) {
  SignalRoute route;
  std::optional<RawTerminal> raw;
  if (options.tty && options.send_stdin)
    raw.emplace(STDIN_FILENO);
  rpc::ClientContext context;
  auto stream = open(context);
  std::optional<CommandError> output_failed;
  IoResult result = run_session(client, context, *stream, first, options, output_failed);
  if (output_failed)
    throw *output_failed;
  return result;
}

}  // namespace

IoResult attach_session(Client& client, const keel::v1::AttachStart& start,
                        const IoOptions& options) {
  keel::v1::AttachRequest first;
  *first.mutable_start() = start;
  if (options.tty)
    if (auto size = terminal_size())
      *first.mutable_start()->mutable_size() = *size;
  auto stub = api::Tasks::NewStub(client.channel());
  return session(client, first, options,
                 [&](rpc::ClientContext& context) { return stub->Attach(&context); });
}

IoResult exec_session(Client& client, const keel::v1::ExecStart& start, const IoOptions& options) {
  keel::v1::ExecRequest first;
  *first.mutable_start() = start;
  if (options.tty)
    if (auto size = terminal_size())
      *first.mutable_start()->mutable_size() = *size;
  auto stub = api::Tasks::NewStub(client.channel());
  return session(client, first, options,
                 [&](rpc::ClientContext& context) { return stub->Exec(&context); });
}

}  // namespace keel::ctl
