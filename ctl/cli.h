// keelctl's command line as a library function: the global flags, the command table
// (commands/command_table.cpp), and the one place that turns a parse error or a command's
// failure into a line on stderr and docker's exit code.
#pragma once

#include <iostream>
#include <ostream>

namespace keel::ctl {

// Runs keelctl on argv (argv[0] is the program) and returns its exit status: 0, the failed
// command's code (1 for a failed request, 125 for bad usage, the container's code for run and
// wait), or 1 for a verb keelctl does not know. Parse errors go to err; commands print on
// std::cout and std::cerr themselves.
[[nodiscard]] int run_keelctl(int argc, const char* const* argv, std::ostream& err = std::cerr);

}  // namespace keel::ctl
