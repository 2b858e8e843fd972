// Runs a host program to completion with stdin given and stdout and stderr collected, under a
// deadline: CNI plugins, the `ip` tool, ps for docker top, the runtime's --version. No shell,
// no PATH search; the environment is exactly the one given (keeld is threaded, so nothing goes
// through setenv). A program past its deadline is killed and reaped; no fd of keeld's reaches it
// (all are O_CLOEXEC).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/error.h"

namespace keel {

struct ProcessOutput {
  int exit_code = 0;  // 128 + n when killed by signal n
  std::string out;
  std::string err;
};

// kUnavailable when the deadline passed (the program is killed), an errno error when it cannot
// be started (ENOENT: no such program). A non-zero exit is the caller's to judge.
[[nodiscard]] Result<ProcessOutput> run_process(const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env,
                                                const std::string& input,
                                                std::chrono::milliseconds timeout);

}  // namespace keel
