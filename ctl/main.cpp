// keelctl: docker's command line for keeld. Everything but the process setup is in the keel_ctl
// library (cli.h), where it is tested.
#include <signal.h>

#include "ctl/cli.h"

int main(int argc, char** argv) {
  // gRPC writes to sockets and keelctl to pipes: a reader that went away is an error to report
  // (output.h), not a reason to die.
  if (::signal(SIGPIPE, SIG_IGN) == SIG_ERR)
    return 125;
  return keel::ctl::run_keelctl(argc, argv);
}
