// keelctl exec: a command in a running container, its stdio joined unless -d.
#include "ctl/commands/commands.h"
#include "ctl/container_attach.h"
#include "ctl/container_config.h"
#include "ctl/container_helpers.h"

namespace keel::ctl {
namespace {

struct ExecFlags {
  bool interactive = false;
  bool tty = false;
  bool detach = false;
  bool privileged = false;
  std::vector<std::string> env;
  std::vector<std::string> env_files;
  std::string working_dir;
  std::string user;
  std::string detach_keys;
  // The container, then the command and its arguments.
  std::vector<std::string> args;
};

keel::v1::ExecStart exec_start(const ExecFlags& flags) {
  // -e and --env-file follow run's rules.
  RunFlags as_run;
  as_run.env = flags.env;
  as_run.env_files = flags.env_files;
  as_run.args = {"-"};
  const keel::v1::ContainerConfig env_only = build_container_config(as_run);
  keel::v1::ExecStart start;
  start.set_id(flags.args[0]);
  for (std::size_t i = 1; i < flags.args.size(); ++i)
    start.add_cmd(flags.args[i]);
  for (const auto& item : env_only.env())
    start.add_env(item);
  start.set_working_dir(flags.working_dir);
  start.set_user(flags.user);
  start.set_tty(flags.tty);
  start.set_attach_stdin(flags.interactive && !flags.detach);
  start.set_detach(flags.detach);
  start.set_privileged(flags.privileged);
  return start;
}

void exec(Client& client, const ExecFlags& flags) {
  if (flags.args.size() < 2)
    throw CommandError(
        "\"exec\" requires at least 2 arguments.\nSee 'keelctl exec --help'.\n\nUsage:  keelctl "
        "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
        1);
  if (!flags.detach)
    require_terminal(flags.tty, flags.interactive);
  const keel::v1::ExecStart start = exec_start(flags);
  IoOptions options;
  options.tty = flags.tty;
  options.send_stdin = flags.interactive && !flags.detach;
  options.detach_keys = detach_sequence(flags.detach_keys);
  const IoResult result = exec_session(client, start, options);
  if (result.detached)
    return;
  if (result.signal != 0)
    throw CommandError("", 128 + result.signal);
  if (!result.status.ok() && !result.exit_code) {
    const auto code = result.status.error_code();
    if (code == rpc::StatusCode::NOT_FOUND || code == rpc::StatusCode::FAILED_PRECONDITION ||
        code == rpc::StatusCode::UNAVAILABLE || result.started)
      client.check(result.status);
    client.check(result.status, start_failure_exit_code(result.status.error_message(), 126));
  }
  if (flags.detach)
    return;
  if (!result.exit_code)
    throw CommandError("Error response from daemon: the exec ended without an exit code", 126);
  if (*result.exit_code != 0)
    throw CommandError("", *result.exit_code);
}

}  // namespace

void add_exec(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("exec", "Execute a command in a running container");
  auto flags = std::make_shared<ExecFlags>();
  cmd->positionals_at_end();
  cmd->add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached");
  cmd->add_flag("-t,--tty", flags->tty, "Allocate a pseudo-TTY");
  cmd->add_flag("-d,--detach", flags->detach, "Detached mode: run command in the background");
  cmd->add_flag("--privileged", flags->privileged, "Give extended privileges to the command");
  cmd->add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
  cmd->add_option("--env-file", flags->env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  cmd->add_option("-w,--workdir", flags->working_dir, "Working directory inside the container");
  cmd->add_option("-u,--user", flags->user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd->add_option("--detach-keys", flags->detach_keys,
                  "Override the key sequence for detaching a container");
  cmd->add_option("args", flags->args, "CONTAINER COMMAND [ARG...]");
  cmd->callback([=, &client] { exec(client, *flags); });
}

}  // namespace keel::ctl
