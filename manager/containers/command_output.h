// Runs a host program and collects its stdout: an argv spawned directly (posix_spawn, no shell,
// no PATH search), stdin and stderr on /dev/null. For ps (docker top) and `keel --version`.
#pragma once

#include <string>
#include <vector>

#include "common/error.h"

namespace keel::manager::containers {

struct CommandOutput {
  int exit_code = 0;  // 128 + n when killed by signal n
  std::string out;
};

// argv[0] is the program's path. An error only when the program cannot run or its output
// cannot be read; a non-zero exit is the caller's to judge.
[[nodiscard]] Result<CommandOutput> run_command(const std::vector<std::string>& argv);

}  // namespace keel::manager::containers
