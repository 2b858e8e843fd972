// Publishes task events to containerd, in order, one at a time (TaskStart before TaskExit):
// - over ttrpc when containerd gave the shim its ttrpc socket (TTRPC_ADDRESS): a Request to
//   containerd.services.events.ttrpc.v1.Events/Forward per event, on a connection opened when an
//   event is queued and closed once the queue is empty (a thousand idle shims hold no socket);
// - else through containerd's publish binary, as a v2 shim started with -publish-binary may:
//   `BIN --address ADDR publish --topic T --namespace NS` with a google.protobuf.Any on stdin.
//   That costs a process of containerd (tens of milliseconds of CPU) per event.
// A failed publish is retried a few times, then dropped.
#pragma once

#include <sys/types.h>

#include <deque>
#include <string>

#include "common/unique_fd.h"
#include "shim/event_loop.h"
#include "shim/events.h"
#include "shimapi/ttrpc/frame.h"

namespace keel::shim {

struct PublisherConfig {
  std::string binary;  // both empty: events are dropped (a shim run without containerd)
  std::string address;
  std::string ns;
  std::string ttrpc_address;  // containerd's ttrpc socket: preferred over the binary
};

class Publisher final : public EventSink {
 public:
  Publisher(EventLoop& loop, PublisherConfig config) : loop_(loop), config_(std::move(config)) {}
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;
  Publisher(Publisher&&) = delete;
  Publisher& operator=(Publisher&&) = delete;
  ~Publisher() override;

  void task_create(const std::string& id, const std::string& bundle,
                   const std::vector<MountSpec>& rootfs, const io::StdioPaths& stdio,
                   pid_t pid) override;
  void task_start(const std::string& id, pid_t pid) override;
  void task_exit(const std::string& id, const std::string& exec_id, pid_t pid, std::uint32_t status,
                 std::int64_t exited_at_ns) override;
  void task_exec_added(const std::string& id, const std::string& exec_id) override;
  void task_exec_started(const std::string& id, const std::string& exec_id, pid_t pid) override;
  void task_paused(const std::string& id) override;
  void task_resumed(const std::string& id) override;
  void task_delete(const std::string& id, pid_t pid, std::uint32_t status,
                   std::int64_t exited_at_ns) override;
  void task_oom(const std::string& id) override;

  // The reaper offers every exit here first; true when `pid` was a publisher process.
  bool on_exit(pid_t pid, int exit_code);
  [[nodiscard]] bool idle() const { return running_ <= 0 && queue_.empty(); }

 private:
  struct Item {
    std::string topic;
    std::string type_url;
    std::string value;  // the serialized event
    std::int64_t at_ns = 0;
    int attempts = 0;
  };
  void enqueue(std::string topic, std::string type_url, std::string value);
  void pump();
  void pump_binary();
  void pump_ttrpc();
  // The head was published (ok) or its attempt failed: pop or retry it, then go on.
  void finish(bool ok, const std::string& why);
  void on_socket(std::uint32_t events);
  void close_socket();

  EventLoop& loop_;
  PublisherConfig config_;
  std::deque<Item> queue_;
  pid_t running_ = 0;  // the publish binary under way, or 1 while a ttrpc request is
  UniqueFd sock_;
  ttrpc::FrameDecoder decoder_;
  std::string out_;  // request bytes not yet written
  std::uint32_t stream_ = 1;
  EventLoop::TimerId deadline_ = 0;
  EventLoop::TimerId retry_ = 0;
};

}  // namespace keel::shim
