// keeld's side of one container's keel-shim: launching its daemon (shimapi/binary.h) and
// calling containerd.task.v2.Task over its ttrpc socket. One call at a time per client; a
// blocking Wait uses a client of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "shimapi/binary.h"
#include "shimapi/ttrpc/client.h"

namespace keel::manager::containers {

using shimapi::ShimLaunch;

// Connect's answer: who serves this socket.
struct ShimInfo {
  int shim_pid = 0;
  int task_pid = 0;
  std::string version;
};

// Stats' google.protobuf.Any as the shim sent it: "io.containerd.cgroups.v1.Metrics" and the
// serialized message (proto/containerd/cgroups/v1/metrics.proto).
struct TaskStats {
  std::string type_url;
  std::string value;
};

struct TaskExit {
  int pid = 0;
  int exit_status = 0;
  std::int64_t exited_at_ns = 0;
};

struct TaskState {
  int pid = 0;
  // containerd.v1.types.Status: "created", "running", "stopped", "paused", "pausing", "unknown".
  std::string status;
  int exit_status = 0;
  std::int64_t exited_at_ns = 0;
};

struct TaskStdio {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

class TaskClient {
 public:
  // Starts the shim daemon in the bundle, as `keel-shim ... start` would but without that
  // process (shimapi::launch_daemon), and returns its socket address; the daemon has its own
  // session and is orphaned at once, so it outlives keeld. launch.env reaches the shim.
  [[nodiscard]] static Result<std::string> launch(const ShimLaunch& launch);
  [[nodiscard]] static Result<TaskClient> connect(const std::string& address);

  // Create with the OCI runtime and its state root (runc.v1.Options binary_name and root).
  [[nodiscard]] Result<int> create(const std::string& id, const std::string& bundle,
                                   const TaskStdio& stdio, const std::string& runtime,
                                   const std::string& runtime_root);
  [[nodiscard]] Result<int> start(const std::string& id, const std::string& exec_id = {});
  [[nodiscard]] Result<void> kill(const std::string& id, int signal, bool all = false,
                                  const std::string& exec_id = {});
  // Blocks until the process exits (or the shim goes away: an error).
  [[nodiscard]] Result<TaskExit> wait(const std::string& id, const std::string& exec_id = {});
  [[nodiscard]] Result<TaskState> state(const std::string& id, const std::string& exec_id = {});
  [[nodiscard]] Result<std::vector<int>> pids(const std::string& id);
  [[nodiscard]] Result<void> pause(const std::string& id);
  [[nodiscard]] Result<void> resume(const std::string& id);
  // process_json: an OCI runtime-spec "process" object.
  [[nodiscard]] Result<void> exec(const std::string& id, const std::string& exec_id,
                                  const TaskStdio& stdio, const std::string& process_json);
  [[nodiscard]] Result<void> resize(const std::string& id, const std::string& exec_id,
                                    std::uint32_t width, std::uint32_t height);
  [[nodiscard]] Result<void> close_stdin(const std::string& id, const std::string& exec_id);
  // Runs the runtime's delete for the init (or drops an exec'd process): its exit.
  [[nodiscard]] Result<TaskExit> remove(const std::string& id, const std::string& exec_id = {});
  // Linux resources as the runtime-spec's linux.resources JSON.
  [[nodiscard]] Result<void> update(const std::string& id, const std::string& resources_json);
  [[nodiscard]] Result<ShimInfo> connect_info(const std::string& id);
  [[nodiscard]] Result<TaskStats> stats(const std::string& id);
  // Asks the shim to exit once it has no task left.
  [[nodiscard]] Result<void> shutdown(const std::string& id);

  // The exit the shim recorded in the bundle when it reaped the process (shimapi/exit_file.h):
  // what keeld reads for a container whose shim is gone. nullopt when none was recorded.
  [[nodiscard]] static std::optional<TaskExit> read_exit_file(const std::string& bundle,
                                                              const std::string& exec_id = {});

  // Makes a wait() in progress on another thread return (keeld shutting down).
  void interrupt();

 private:
  explicit TaskClient(ttrpc::Client client);
  template <class Request, class Response>
  [[nodiscard]] Result<Response> call(const char* method, const Request& request,
                                      std::chrono::milliseconds timeout);

  std::optional<ttrpc::Client> client_;
};

}  // namespace keel::manager::containers
