// A containerd of the test's own: config, root, state, sockets and opt dir in one temp dir, the
// shim's socket dir and runtime root there too (through the environment containerd passes on),
// build/bin first on its PATH so `io.containerd.keel.v2` resolves to this build's shim.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "integration/fixtures/fixtures.h"

namespace keel::shim::testing {

inline constexpr const char* kImage = "docker.io/library/keel-busybox:latest";
inline constexpr const char* kRuntime = "io.containerd.keel.v2";

class PrivateContainerd {
 public:
  // Starts containerd and imports the busybox image; records a failure when either fails.
  PrivateContainerd();
  PrivateContainerd(const PrivateContainerd&) = delete;
  PrivateContainerd& operator=(const PrivateContainerd&) = delete;
  PrivateContainerd(PrivateContainerd&&) = delete;
  PrivateContainerd& operator=(PrivateContainerd&&) = delete;
  // Kills and deletes every task and container, stops containerd, kills stray shims, unmounts
  // and removes the temp dir and the containers' cgroups.
  ~PrivateContainerd();

  [[nodiscard]] static bool available();
  [[nodiscard]] bool ready() const { return ready_; }

  // `ctr --address <sock> args...`.
  [[nodiscard]] fixtures::RunResult ctr(
      const std::vector<std::string>& args,
      std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // `ctr --address <sock> args...` left running (`events`); stop it with a signal, then wait().
  [[nodiscard]] fixtures::RunningCommand start_ctr(const std::vector<std::string>& args);
  // The same under `script`, so ctr's stdin is a terminal (for -t); `stty` runs first.
  [[nodiscard]] fixtures::RunResult ctr_in_tty(const std::string& ctr_args,
                                               const std::string& stty = "rows 33 cols 77");
  // A new container id whose cgroup (/keel-it/<id>) is checked and removed at the end.
  [[nodiscard]] std::string new_id();
  // `run -d --runtime io.containerd.keel.v2 --cgroup /keel-it/<id> IMAGE id args...`.
  void run_detached(const std::string& id, const std::vector<std::string>& args);
  // The task's status column in `ctr task ls` ("" when absent), and its pid.
  [[nodiscard]] std::string task_status(const std::string& id);
  [[nodiscard]] pid_t task_pid(const std::string& id);
  [[nodiscard]] bool wait_task_status(const std::string& id, const std::string& status);

  void kill_daemon();  // SIGKILL, as a crash
  void start_daemon();
  // Asserts no shim of this containerd, mount under its dir, cgroup or process of its
  // containers, and nothing in the shim socket dir or runtime root is left.
  void expect_clean();

 private:
  [[nodiscard]] std::string address() const { return (dir_ / "containerd.sock").string(); }
  [[nodiscard]] std::vector<pid_t> shim_pids() const;
  void write_config();
  void import_image();

  std::filesystem::path dir_;
  std::optional<fixtures::RunningCommand> daemon_;
  std::vector<std::string> ids_;
  bool ready_ = false;
};

// True when `keel <command> --help` works: ps, pause and resume come with keel's runtime.
[[nodiscard]] bool keel_has_command(const std::string& command);

}  // namespace keel::shim::testing
