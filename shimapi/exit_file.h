// Exit statuses on disk, the format the shim writes and keeld reads: one small file per process in
// the bundle (the shim's state dir), written when the shim reaps it, so `delete` and a restarted
// manager get the real status, not a guess.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"

namespace keel::shimapi {

struct ExitRecord {
  pid_t pid = 0;
  std::uint32_t status = 0;
  std::int64_t exited_at_ns = 0;  // CLOCK_REALTIME, nanoseconds since the epoch
};

// "<state_dir>/exit-init" for the init process, "<state_dir>/exit-exec-<exec id>" for an exec.
[[nodiscard]] std::string exit_file_path(const std::string& state_dir, const std::string& exec_id);
// Atomic replace; the content is "<pid> <status> <exited_at_ns>\n".
[[nodiscard]] Result<void> write_exit_file(const std::string& path, const ExitRecord& record);
// nullopt when absent or unreadable.
[[nodiscard]] std::optional<ExitRecord> read_exit_file(const std::string& path);

}  // namespace keel::shimapi
