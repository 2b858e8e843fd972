// ShimEvents: the receiver's handler records TaskOOM and init TaskExit per container.
#include "manager/containers/shim_events.h"

namespace keel::manager::containers {

Result<std::unique_ptr<ShimEvents>> ShimEvents::listen(const std::string& socket_path) {
  std::unique_ptr<ShimEvents> events(new ShimEvents());
  auto receiver = shimapi::EventReceiver::listen(
      socket_path, [self = events.get()](const shimapi::TaskEvent& e) { self->on_event(e); });
  if (!receiver)
    return std::move(receiver).error();
  events->receiver_ = std::move(*receiver);
  return events;
}

ShimEvents::~ShimEvents() {
  receiver_.reset();  // joins the thread that calls on_event
}

std::string ShimEvents::address() const {
  return receiver_ ? receiver_->address() : std::string();
}

void ShimEvents::set_exit_handler(ExitHandler handler) {
  std::lock_guard lock(mutex_);
  exit_handler_ = std::move(handler);
}

void ShimEvents::on_event(const shimapi::TaskEvent& event) {
  if (event.container_id.empty())
    return;
  std::lock_guard lock(mutex_);
  if (event.topic == "/tasks/oom") {
    oom_.insert(event.container_id);
  } else if (event.topic == "/tasks/exit" && exit_handler_) {
    exit_handler_(event.container_id, event.exec_id,
                  TaskExit{.pid = static_cast<int>(event.pid),
                           .exit_status = static_cast<int>(event.exit_status),
                           .exited_at_ns = event.exited_at_ns});
  }
}

bool ShimEvents::take_oom(const std::string& container_id) {
  std::lock_guard lock(mutex_);
  return oom_.erase(container_id) > 0;
}

}  // namespace keel::manager::containers
