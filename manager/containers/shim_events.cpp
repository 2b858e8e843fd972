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

void ShimEvents::on_event(const shimapi::TaskEvent& event) {
  if (event.container_id.empty())
    return;
  std::lock_guard lock(mutex_);
  if (event.topic == "/tasks/oom")
    oom_.insert(event.container_id);
  else if (event.topic == "/tasks/exit" && event.exec_id.empty())
    exited_.insert(event.container_id);
  else
    return;
  changed_.notify_all();
}

bool ShimEvents::await_exit(const std::string& container_id, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return exited_.contains(container_id); });
}

bool ShimEvents::take_oom(const std::string& container_id) {
  std::lock_guard lock(mutex_);
  exited_.erase(container_id);
  return oom_.erase(container_id) > 0;
}

}  // namespace keel::manager::containers
