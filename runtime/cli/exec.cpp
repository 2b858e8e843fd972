// `keel exec [flags] ID COMMAND [ARGS...]`: runc's flags; behaviour in lifecycle/exec.cpp.
#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {

void add_exec(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("exec", "Execute a new process inside the container");
  auto o = std::make_shared<runtime::ExecOptions>();
  cmd->add_option("container-id", o->id, "Container ID")->required();
  cmd->add_option("command", o->args, "Command and arguments");
  cmd->add_option("-p,--process", o->process_file, "path to the process.json");
  cmd->add_option("-e,--env", o->env, "set environment variables")->allow_extra_args(false);
  cmd->add_option("--cwd", o->cwd, "current working directory in the container");
  cmd->add_option("-u,--user", o->user, "UID (format: <uid>[:<gid>])");
  cmd->add_option("-g,--additional-gids", o->additional_gids, "additional gids")
      ->allow_extra_args(false);
  cmd->add_option("-c,--cap", o->caps, "add a capability to the bounding set for the process")
      ->allow_extra_args(false);
  cmd->add_flag("--no-new-privs", o->no_new_privs, "set the no new privileges value");
  cmd->add_flag("-t,--tty", o->tty, "allocate a pseudo-TTY");
  cmd->add_flag("-d,--detach", o->detach, "detach from the container's process");
  cmd->add_option("--console-socket", o->console_socket,
                  "unix socket to receive the pty master of the process");
  cmd->add_option("--pid-file", o->pid_file, "file to write the process id to");
  cmd->add_option("--apparmor", o->apparmor, "AppArmor profile for the process");
  cmd->add_option("--process-label", o->apparmor, "SELinux label (not supported)");
  cmd->add_option("--preserve-fds", o->preserve_fds, "pass N additional file descriptors")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--no-subreaper", o->no_subreaper, "disable the subreaper (keel uses none)");
  // As runc's: flags end at the container id; what follows is the command, its `-c` included.
  cmd->positionals_at_end(true);
  cmd->callback([&g, o] {
    if (!o->args.empty() && o->args.front() == "--")
      o->args.erase(o->args.begin());
    g.action = [&g, o] { return runtime::exec_in_container(g.store(), *o); };
  });
}

}  // namespace keel::cli
