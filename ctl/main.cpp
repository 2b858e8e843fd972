// keelctl: docker's command line for keeld. Everything but the process setup is in the keel_ctl
// library (cli.h), where it is tested.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "common/process_image.h"
#include "ctl/cli.h"

namespace {

// Runs before every static constructor (libstdc++'s streams and locale, CLI11's validators,
// protobuf's default instances), so that their first touches of code, data and heap find the pages
// mapped (common/process_image.h).
[[gnu::used, gnu::section(".preinit_array")]] void (*const premap_hook)(int, char**, char**) =
    [](int /*argc*/, char** /*argv*/, char** /*envp*/) { keel::premap_process_image(); };

}  // namespace

int main(int argc, char** argv) {
  // keelctl writes to pipes (and ctl/rpc to keeld's socket, with MSG_NOSIGNAL): a reader that
  // went away is an error to report (output.h), not a reason to die.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return 125;
  const int code = keel::ctl::run_keelctl(argc, argv);
  // Every verb has finished its work and closed its files by now; what is left is static
  // destructors, which free memory the kernel takes back anyway. The output is flushed and the
  // process ends without them.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code);
}
