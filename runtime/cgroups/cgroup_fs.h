// Internal to runtime/cgroups: reading and writing cgroupfs knobs, walking a cgroup subtree,
// killing what is in it and removing it. Shared by the v1 and v2 managers.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::runtime::cgroups::detail {

inline constexpr uint64_t kMax = UINT64_MAX;  // what "max" and v1's huge "unlimited" read as

[[nodiscard]] std::string join(std::string_view dir, std::string_view file);

// One write(2) of `value` to dir/file (O_TRUNC, as runc and shells open knobs). Errors name the
// file and the value, keep errno.
[[nodiscard]] Result<void> write_knob(const std::string& dir, std::string_view file,
                                      std::string_view value);
// Opens dir/file once and writes each value with its own write(2): devices.allow, io.max and
// friends take one rule per write.
[[nodiscard]] Result<void> write_knob_lines(const std::string& dir, std::string_view file,
                                            const std::vector<std::string>& values);
// Whole file without the trailing newline.
[[nodiscard]] Result<std::string> read_knob(const std::string& dir, std::string_view file);
// A number or "max". ENOENT gives std::nullopt, other errors an Error.
[[nodiscard]] Result<std::optional<uint64_t>> read_u64(const std::string& dir,
                                                       std::string_view file);
// "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). ENOENT: empty.
[[nodiscard]] Result<std::map<std::string, uint64_t>> read_keyed(const std::string& dir,
                                                                 std::string_view file);
[[nodiscard]] std::map<std::string, uint64_t> parse_keyed(std::string_view text);
[[nodiscard]] bool has_file(const std::string& dir, std::string_view file);
[[nodiscard]] std::vector<std::string> split(std::string_view text, char sep);
[[nodiscard]] std::string parent_dir(std::string_view dir);

// Appends the pids in dir/cgroup.procs and in every descendant cgroup. A missing dir adds none.
[[nodiscard]] Result<void> collect_procs(const std::string& dir, std::vector<pid_t>& out);
[[nodiscard]] Result<std::vector<pid_t>> procs_recursive(const std::string& dir);

// cgroup.procs reads "0" as "the writer": a pid that is not positive would move the runtime.
[[nodiscard]] Result<void> check_pid(pid_t pid);

// Polls `done` with a backoff from 50us to 10ms until it returns true or `timeout` passes.
// Returns whether it finished; the first error from `done` ends the wait.
[[nodiscard]] Result<bool> wait_until(const std::function<Result<bool>()>& done,
                                      std::chrono::milliseconds timeout);

// SIGKILLs every process under `procs_dir` until it is empty or `timeout` passes (kUnavailable,
// listing the survivors). Each round re-reads the list: a process can fork before its signal lands.
[[nodiscard]] Result<void> kill_and_wait_empty(const std::string& procs_dir,
                                               std::chrono::milliseconds timeout);

// rmdir of `dir` and every child cgroup below it, deepest first; EBUSY retried until `timeout`
// (the kernel releases a cgroup shortly after its last task exits). ENOENT is success.
[[nodiscard]] Result<void> remove_cgroup_tree(const std::string& dir,
                                              std::chrono::milliseconds timeout);

// mkdir of the leaf (parents as needed). Sets `created` when this call made the leaf.
[[nodiscard]] Result<void> make_cgroup_dir(const std::string& dir, bool& created);

inline constexpr std::chrono::milliseconds kFreezeTimeout{5000};
inline constexpr std::chrono::milliseconds kKillTimeout{5000};
inline constexpr std::chrono::milliseconds kRmdirTimeout{2000};

}  // namespace keel::runtime::cgroups::detail
