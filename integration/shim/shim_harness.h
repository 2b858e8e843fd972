// A keel-shim started the way containerd starts it (`start` in the bundle dir), reached through
// keel's own ttrpc client: typed Task calls, fifos for stdio, a fake publish binary that logs
// topics, and teardown that leaves no shim, socket or container behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/fixtures/fixtures.h"
#include "shim/task_service.h"
#include "shimapi/ttrpc/client.h"

namespace keel::shim::testing {

// build/bin/keel-shim and the name containerd resolves.
[[nodiscard]] std::filesystem::path shim_binary();

class ShimHarness {
 public:
  // Starts the shim for `bundle`; the runtime root is the bundle's, the socket dir is private.
  explicit ShimHarness(fixtures::Bundle& bundle);
  ShimHarness(const ShimHarness&) = delete;
  ShimHarness& operator=(const ShimHarness&) = delete;
  ShimHarness(ShimHarness&&) = delete;
  ShimHarness& operator=(ShimHarness&&) = delete;
  // SIGKILLs a shim still running and runs `delete`, so a failed test leaves nothing either.
  ~ShimHarness();

  [[nodiscard]] bool started() const { return client_.has_value(); }
  [[nodiscard]] const std::string& address() const { return address_; }
  [[nodiscard]] pid_t shim_pid() const;
  [[nodiscard]] std::filesystem::path socket_path() const;

  // One rpc of containerd.task.v2.Task; the status is returned, the response parsed into `resp`.
  template <class Req, class Resp>
  ttrpc::Status call(const char* method, const Req& req, Resp& resp,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto answer = client_->call(kTaskService, method, req.SerializeAsString(), timeout);
    if (!answer)
      return ttrpc::Status{ttrpc::Code::kUnavailable, answer.error().message()};
    if (answer->status.ok()) {
      EXPECT_TRUE(resp.ParseFromString(answer->payload)) << method;
    }
    return answer->status;
  }

  // A fifo in the bundle's base dir, opened for reading (non-blocking) so the shim can write.
  [[nodiscard]] std::string make_output_fifo(const std::string& name);
  // What has arrived on that fifo so far.
  [[nodiscard]] std::string read_fifo(const std::string& name);
  // Waits until the shim process is gone (reaping it: the test process is its subreaper).
  [[nodiscard]] bool wait_shim_exit(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Topics the fake publish binary received, in order.
  [[nodiscard]] std::vector<std::string> published_topics() const;
  // `<shim> ... delete` in the bundle dir, as containerd runs it for a dead shim.
  [[nodiscard]] fixtures::RunResult run_delete_binary() const;

 private:
  [[nodiscard]] std::vector<std::string> base_args() const;

  fixtures::Bundle& bundle_;
  std::filesystem::path socket_dir_;
  std::string address_;
  std::optional<ttrpc::Client> client_;
  std::vector<std::pair<std::string, int>> fifos_;  // name, read fd
};

}  // namespace keel::shim::testing
