// Runs the OCI runtime's CLI (keel, or any runc-compatible binary) for the shim, one blocking
// command at a time: the loop waits, as the runc shim holds its lock around each runc call. With
// `linked`, keel's create, start, kill and delete are calls into its library instead.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::shim {

struct RuntimeConfig {
  std::string binary;    // absolute path
  std::string root;      // --root
  std::string log_path;  // --log (json): create and exec hand their stderr to the process
  // create, start, kill and delete run in the shim's process (linked_runtime.h), not `binary`.
  bool linked = false;
};

// The process's stdio for create and exec; -1 means /dev/null.
struct RuntimeStdio {
  int in = -1;
  int out = -1;
  int err = -1;
};

class RuntimeClient {
 public:
  explicit RuntimeClient(RuntimeConfig config) : config_(std::move(config)) {}

  [[nodiscard]] Result<void> create(const std::string& id, const std::string& bundle,
                                    const std::string& pid_file, const std::string& console_socket,
                                    RuntimeStdio stdio);
  [[nodiscard]] Result<void> start(const std::string& id);
  [[nodiscard]] Result<void> exec(const std::string& id, const std::string& process_file,
                                  const std::string& pid_file, const std::string& console_socket,
                                  RuntimeStdio stdio);
  [[nodiscard]] Result<void> kill(const std::string& id, int signal, bool all);
  [[nodiscard]] Result<void> remove(const std::string& id, bool force);
  [[nodiscard]] Result<void> pause(const std::string& id);
  [[nodiscard]] Result<void> resume(const std::string& id);
  [[nodiscard]] Result<void> update(const std::string& id, const std::string& resources_json);
  [[nodiscard]] Result<std::vector<pid_t>> ps(const std::string& id);
  // One `events --stats` line (runc's stats JSON).
  [[nodiscard]] Result<std::string> stats(const std::string& id);

  [[nodiscard]] const RuntimeConfig& config() const { return config_; }

 private:
  // Runs `binary --root R args...`; stdout returned; on a non-zero exit the error names the
  // command and carries the runtime's own last error line.
  [[nodiscard]] Result<std::string> run(const std::vector<std::string>& args,
                                        const std::string& stdin_data = {});
  [[nodiscard]] Result<void> run_with_stdio(const std::vector<std::string>& args,
                                            RuntimeStdio stdio);
  [[nodiscard]] std::string last_logged_error() const;

  RuntimeConfig config_;
};

}  // namespace keel::shim
