// keelctl: docker's command line for keeld. Everything but the process setup is in the keel_ctl
// library (cli.h), where it is tested.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "ctl/cli.h"

int main(int argc, char** argv) {
  // gRPC writes to sockets and keelctl to pipes: a reader that went away is an error to report
  // (output.h), not a reason to die.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return 125;
  const int code = keel::ctl::run_keelctl(argc, argv);
  // Every verb has finished its work and closed its files by now; what is left is gRPC's
  // shutdown, which joins its threads and took a fifth of a short call's wall time. The output
  // is flushed and the process ends without it.
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  ::_exit(code);
}
