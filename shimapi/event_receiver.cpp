// EventReceiver: accept, decode frames per connection, answer each Forward once its handler ran.
// Blocking sends are fine: an answer is a few bytes and a shim reads it before sending more.
#include "shimapi/event_receiver.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <map>
#include <vector>

#include <spdlog/spdlog.h>

#include "containerd/events/task.pb.h"
#include "containerd/services/events/ttrpc/v1/events.pb.h"
#include "shimapi/ttrpc/frame.h"
#include "shimapi/ttrpc/status.h"
#include "ttrpc/request.pb.h"

namespace keel::shimapi {
namespace {

constexpr const char* kEventsService = "containerd.services.events.ttrpc.v1.Events";

struct Connection {
  UniqueFd fd;
  ttrpc::FrameDecoder decoder;
};

Result<UniqueFd> bind_listener(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sa.sun_path))
    return Error::of(Errc::kInvalidArgument, "socket path \"" + path + "\" is empty or too long");
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid())
    return Error::sys("socket");
  // A socket left by a manager that died: nobody serves it any more.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::sys("unlink \"" + path + "\"");
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)
    return Error::sys("bind \"" + path + "\"");
  if (::chmod(path.c_str(), 0600) != 0 || ::listen(fd.get(), 128) != 0)
    return Error::sys("listen \"" + path + "\"");
  return fd;
}

TaskEvent decode(const containerd::services::events::ttrpc::v1::Envelope& envelope) {
  TaskEvent event;
  event.ns = envelope.namespace_();
  event.topic = envelope.topic();
  const auto& any = envelope.event();
  if (any.type_url() == "containerd.events.TaskOOM") {
    containerd::events::TaskOOM oom;
    if (oom.ParseFromString(any.value()))
      event.container_id = oom.container_id();
  } else if (any.type_url() == "containerd.events.TaskExit") {
    containerd::events::TaskExit exit;
    if (exit.ParseFromString(any.value())) {
      event.container_id = exit.container_id();
      event.exec_id = exit.id() == exit.container_id() ? "" : exit.id();
      event.exit_status = exit.exit_status();
      event.pid = exit.pid();
      event.exited_at_ns = exit.exited_at().seconds() * 1'000'000'000LL + exit.exited_at().nanos();
    }
  }
  return event;
}

// The answer to one Request frame: the handler runs for a Forward, anything else is refused.
ttrpc::Status handle(const ttrpc::Frame& frame, const EventReceiver::Handler& handler) {
  ::ttrpc::Request request;
  if (!request.ParseFromString(frame.data))
    return {ttrpc::Code::kInvalidArgument, "the request does not parse"};
  if (request.service() != kEventsService || request.method() != "Forward")
    return {ttrpc::Code::kUnimplemented, request.service() + "/" + request.method()};
  containerd::services::events::ttrpc::v1::ForwardRequest forward;
  if (!forward.ParseFromString(request.payload()))
    return {ttrpc::Code::kInvalidArgument, "the ForwardRequest does not parse"};
  handler(decode(forward.envelope()));
  return {};
}

// False when the connection is to be dropped.
bool answer(int fd, std::uint32_t stream, const ttrpc::Status& status) {
  ::ttrpc::Response response;
  response.mutable_status()->set_code(static_cast<int>(status.code));
  response.mutable_status()->set_message(status.message);
  auto frame =
      ttrpc::encode_frame(stream, ttrpc::MessageType::kResponse, 0, response.SerializeAsString());
  if (!frame)
    return false;
  std::string_view rest = *frame;
  while (!rest.empty()) {
    const ssize_t n = ::send(fd, rest.data(), rest.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads what is there and answers every complete request; false when the peer is gone.
bool on_readable(Connection& c, const EventReceiver::Handler& handler) {
  std::array<char, 16384> buf;  // NOLINT(cppcoreguidelines-pro-type-member-init): read() fills it
  const ssize_t n = ::read(c.fd.get(), buf.data(), buf.size());
  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0)
    return false;
  c.decoder.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)));
  while (auto frame = c.decoder.next()) {
    if (frame->type != static_cast<std::uint8_t>(ttrpc::MessageType::kRequest))
      continue;
    const ttrpc::Status status = frame->oversized_length != 0
                                     ? ttrpc::Status{ttrpc::Code::kResourceExhausted, "too large"}
                                     : handle(*frame, handler);
    if (!answer(c.fd.get(), frame->stream_id, status))
      return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<EventReceiver>> EventReceiver::listen(const std::string& path,
                                                             Handler handler) {
  auto listener = bind_listener(path);
  if (!listener)
    return std::move(listener).error().context("shim events");
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC));
  if (!wake.valid())
    return Error::sys("eventfd for the shim events");
  std::unique_ptr<EventReceiver> receiver(
      new EventReceiver(path, std::move(*listener), std::move(wake), std::move(handler)));
  receiver->thread_ = std::thread([r = receiver.get()] { r->serve(); });
  return receiver;
}

EventReceiver::EventReceiver(std::string path, UniqueFd listener, UniqueFd wake, Handler handler)
    : path_(std::move(path)),
      listener_(std::move(listener)),
      wake_(std::move(wake)),
      handler_(std::move(handler)) {}

EventReceiver::~EventReceiver() {
  const std::uint64_t one = 1;
  // An eventfd write of 1 fails only when the counter would overflow: it is never read, so that
  // cannot happen, and the thread is joined either way.
  if (::write(wake_.get(), &one, sizeof one) != static_cast<ssize_t>(sizeof one))
    spdlog::warn("shim events: {}", Error::sys("waking the receiver").message());
  if (thread_.joinable())
    thread_.join();
  ::unlink(path_.c_str());
}

void EventReceiver::serve() {
  std::map<int, Connection> connections;
  std::vector<pollfd> fds;
  // Out of fds, accept fails while the listener stays readable: it is left out of the poll set
  // until a connection closes or a second passes, instead of spinning.
  bool accepting = true;
  for (;;) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({accepting ? listener_.get() : -1, POLLIN, 0});
    for (const auto& [fd, c] : connections)
      fds.push_back({fd, POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), accepting ? -1 : 1000);
    if (ready < 0) {
      if (errno == EINTR)
        continue;
      spdlog::error("shim events: {}", Error::sys("poll").message());
      return;
    }
    if (ready == 0)
      accepting = true;
    if (fds[0].revents != 0)
      return;
    if (fds[1].revents != 0) {
      UniqueFd accepted(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (accepted.valid()) {
        const int fd = accepted.get();
        connections[fd] = Connection{std::move(accepted), {}};
      } else if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        spdlog::warn("shim events: {}", Error::sys("accept").message());
        accepting = false;
      }
    }
    for (std::size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0)
        continue;
      auto it = connections.find(fds[i].fd);
      if (it != connections.end() && !on_readable(it->second, handler_)) {
        connections.erase(it);
        accepting = true;
      }
    }
  }
}

}  // namespace keel::shimapi
