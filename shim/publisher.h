// Publishes task events through containerd's publish binary, as containerd 1.6 expects of a v2
// shim started with -publish-binary: `BIN --address ADDR publish --topic T --namespace NS` with a
// google.protobuf.Any of the event on stdin. One publisher process at a time keeps events in
// order (TaskStart before TaskExit); a failed publish is retried a few times, then dropped.
#pragma once

#include <sys/types.h>

#include <deque>
#include <string>

#include "shim/events.h"

namespace keel::shim {

struct PublisherConfig {
  std::string binary;  // empty: events are dropped (a shim run without containerd)
  std::string address;
  std::string ns;
};

class Publisher final : public EventSink {
 public:
  explicit Publisher(PublisherConfig config) : config_(std::move(config)) {}

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
    std::string any;  // serialized google.protobuf.Any
    int attempts = 0;
  };
  void enqueue(std::string topic, std::string type_url, std::string value);
  void pump();

  PublisherConfig config_;
  std::deque<Item> queue_;
  pid_t running_ = 0;
};

}  // namespace keel::shim
