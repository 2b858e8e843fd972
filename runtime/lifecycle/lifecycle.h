// The runtime's operations (runtime.md "Operations" plus runc's extras), one function each; the
// CLI in runtime/cli/ only parses flags and calls these.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "runtime/lifecycle/state_store.h"

namespace keel::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle = ".";
  std::string pid_file;
  std::string console_socket;
  int console_fd = -1;  // instead of console_socket: keel's own socket (run in the foreground)
  // For a caller that creates in its own process instead of running `keel create` (keel-shim):
  // the fds the init puts on its 0, 1 and 2 (-1 keeps the caller's), and whether it resets every
  // signal disposition, since one the caller ignores would stay ignored across execve.
  std::array<int, 3> init_stdio = {-1, -1, -1};
  bool reset_signal_dispositions = false;
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
};

// Leaves the init blocked on exec.fifo and returns its pid. On failure nothing is left behind.
[[nodiscard]] Result<pid_t> create_container(const StateStore& store, const CreateOptions& options);
[[nodiscard]] Result<void> start_container(const StateStore& store, const std::string& id);
// create + start; without detach waits and returns the exit code (128+n for signal n), and
// removes the container like runc does.
[[nodiscard]] Result<int> run_container(const StateStore& store, const CreateOptions& options,
                                        bool detach, bool keep);
[[nodiscard]] Result<void> kill_container(const StateStore& store, const std::string& id,
                                          const std::string& signal, bool all);
[[nodiscard]] Result<void> delete_container(const StateStore& store, const std::string& id,
                                            bool force);
// The OCI state document (runtime.md "State") with runc's extra fields.
[[nodiscard]] Result<std::string> container_state_json(const StateStore& store,
                                                       const std::string& id);

struct ExecOptions {
  std::string id;
  std::string process_file;  // --process: a process.json; otherwise built from the flags below
  std::vector<std::string> args;
  std::vector<std::string> env;  // added to the container's env, replacing same-name entries
  std::string cwd;
  std::string user;  // "uid[:gid]"
  std::vector<std::uint32_t> additional_gids;
  std::vector<std::string> caps;  // added to every capability set
  bool no_new_privs = false;
  bool tty = false;
  bool detach = false;
  std::string console_socket;
  std::string pid_file;
  std::string apparmor;
  int preserve_fds = 0;
  bool no_subreaper = false;  // accepted for runc's command line; keel's exec has no subreaper
};

// runc's `exec`: a new process in every namespace and cgroup of a running container. Without
// detach waits and returns its exit code.
[[nodiscard]] Result<int> exec_in_container(const StateStore& store, const ExecOptions& options);

enum class ListFormat { kTable, kJson };
[[nodiscard]] Result<std::string> list_containers(const StateStore& store, ListFormat format,
                                                  bool quiet);

// runc's `pause` and `resume`: the cgroup freezer. Pause needs a running container, resume a
// paused one; anything else is refused with the status it has.
[[nodiscard]] Result<void> pause_container(const StateStore& store, const std::string& id);
[[nodiscard]] Result<void> resume_container(const StateStore& store, const std::string& id);

// runc's `update` flags; each unset field leaves that limit as it is. Sizes take runc's units
// ("64m", "1g"); memory_swap is memory+swap, "-1" for unlimited.
struct UpdateOptions {
  std::string id;
  std::string resources_file;  // an OCI linux.resources JSON, "-" for stdin; the flags are ignored
  std::optional<std::string> memory;
  std::optional<std::string> memory_reservation;
  std::optional<std::string> memory_swap;
  std::optional<std::string> kernel_memory;      // deprecated: accepted, ignored with a warning
  std::optional<std::string> kernel_memory_tcp;  // likewise
  std::optional<std::uint64_t> cpu_shares;
  std::optional<std::int64_t> cpu_quota;
  std::optional<std::uint64_t> cpu_period;
  std::optional<std::uint64_t> cpu_rt_period;
  std::optional<std::int64_t> cpu_rt_runtime;
  std::optional<std::string> cpuset_cpus;
  std::optional<std::string> cpuset_mems;
  std::optional<std::int64_t> pids_limit;  // 0: unchanged, -1: unlimited
  std::optional<std::uint16_t> blkio_weight;
};

// Writes the new limits into the cgroup of a created, running or paused container.
[[nodiscard]] Result<void> update_container(const StateStore& store, const UpdateOptions& options);

enum class PsFormat { kTable, kJson };
// runc's `ps`: json is the array of the container's pids; table is the host's `ps` (ps_args,
// default "-ef") cut down to the header and the container's processes.
[[nodiscard]] Result<std::string> container_ps(const StateStore& store, const std::string& id,
                                               PsFormat format,
                                               const std::vector<std::string>& ps_args);

struct EventsOptions {
  std::string id;
  bool stats = false;                // one stats event, then return
  std::uint64_t interval_ms = 5000;  // between stats events
};

// runc's `events`: one JSON line per event to `emit`, {"type":"stats"|"oom","id":...,"data":...}.
// Streams until the container's init exits, unless options.stats. Holds no lock meanwhile.
[[nodiscard]] Result<void> container_events(const StateStore& store, const EventsOptions& options,
                                            const std::function<void(std::string_view)>& emit);
// "5s", "100ms", "1m30s", "250us" (Go's time.ParseDuration units down to ms) -> milliseconds.
[[nodiscard]] Result<std::uint64_t> parse_interval_ms(const std::string& text);

// "KILL", "SIGKILL", "9" -> 9.
[[nodiscard]] Result<int> parse_signal(const std::string& text);

}  // namespace keel::runtime
