// `keel create [flags] ID` and `keel run [flags] ID`: runc's flags, behaviour in lifecycle/.
#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {
namespace {

void add_create_flags(CLI::App* cmd, runtime::CreateOptions& o) {
  cmd->add_option("container-id", o.id, "Container ID")->required();
  cmd->add_option("-b,--bundle", o.bundle, "path to the root of the bundle directory");
  cmd->add_option("--console-socket", o.console_socket,
                  "unix socket to receive the pty master of the container");
  cmd->add_option("--pid-file", o.pid_file, "file to write the process id to");
  cmd->add_flag("--no-pivot", o.no_pivot, "do not use pivot_root to jail the process");
  cmd->add_flag("--no-new-keyring", o.no_new_keyring,
                "do not create a new session keyring for the container");
  cmd->add_option("--preserve-fds", o.preserve_fds,
                  "pass N additional file descriptors to the container (3..3+N-1)")
      ->check(CLI::NonNegativeNumber);
}

}  // namespace

void add_create(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("create", "Create a container");
  auto o = std::make_shared<runtime::CreateOptions>();
  add_create_flags(cmd, *o);
  cmd->callback([&g, o] {
    g.action = exits_zero([&g, o] {
      auto pid = runtime::create_container(g.store(), *o);
      return pid ? Result<void>{} : Result<void>(std::move(pid).error());
    });
  });
}

void add_run(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("run", "Create and run a container");
  auto o = std::make_shared<runtime::CreateOptions>();
  auto detach = std::make_shared<bool>(false);
  auto keep = std::make_shared<bool>(false);
  auto no_subreaper = std::make_shared<bool>(false);
  add_create_flags(cmd, *o);
  cmd->add_flag("-d,--detach", *detach, "detach from the container's process");
  cmd->add_flag("--keep", *keep, "do not delete the container after it exits");
  cmd->add_flag("--no-subreaper", *no_subreaper, "disable the use of the subreaper");
  cmd->callback([&g, o, detach, keep] {
    g.action = [&g, o, detach, keep] {
      return runtime::run_container(g.store(), *o, *detach, *keep);
    };
  });
}

}  // namespace keel::cli
