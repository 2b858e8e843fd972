// keel-shim (also containerd-shim-keel-v2): containerd's runtime v2 shim for keel.
#include <cstdio>
#include <string>
#include <vector>

#include "shim/commands.h"

int main(int argc, char** argv) {
  using namespace keel::shim;
  const std::vector<std::string> args(argv + 1, argv + argc);
  auto options = parse_options(args);
  if (!options) {
    std::fprintf(stderr, "keel-shim: %s\n", options.error().message().c_str());
    return 1;
  }
  if (options->action == "version") {
    std::puts("keel-shim 0.1.0 (containerd runtime v2: io.containerd.keel.v2)");
    return 0;
  }
  auto code = options->action == "start"    ? run_start(*options)
              : options->action == "delete" ? run_delete(*options)
                                            : run_daemon(*options);
  if (!code) {
    std::fprintf(stderr, "keel-shim: %s\n", code.error().message().c_str());
    return 1;
  }
  return *code;
}
