// File helpers that return Result: whole-file reads and writes, atomic replace, directory creation.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/unique_fd.h"

namespace keel::fs {

[[nodiscard]] Result<std::string> read_file(const std::string& path);
[[nodiscard]] Result<std::string> read_fd(int fd);
// Writes to an existing file (cgroup and /proc knobs): no O_CREAT, no truncation games.
[[nodiscard]] Result<void> write_file(const std::string& path, std::string_view data);
// Writes a temp file beside `path`, fsyncs nothing (state is tmpfs), and renames it over `path`.
[[nodiscard]] Result<void> write_file_atomic(const std::string& path, std::string_view data,
                                             mode_t mode = 0600);
[[nodiscard]] Result<void> write_all(int fd, std::string_view data);
// mkdir -p; existing directories are fine.
[[nodiscard]] Result<void> mkdir_all(const std::string& path, mode_t mode = 0755);
// rm -rf of a directory tree that holds no mounts (state directories).
[[nodiscard]] Result<void> remove_all(const std::string& path);
[[nodiscard]] Result<UniqueFd> open(const std::string& path, int flags, mode_t mode = 0);
[[nodiscard]] bool exists(const std::string& path);

}  // namespace keel::fs
