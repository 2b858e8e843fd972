// docker run, create, start, attach and exec: creating containers from flags and joining their
// stdio.
#include <unistd.h>

#include <iostream>

#include "ctl/attach.h"
#include "ctl/container_config.h"
#include "ctl/container_helpers.h"
#include "ctl/detach_keys.h"
#include "keel/v1/containers.grpc.pb.h"
#include "keel/v1/tasks.grpc.pb.h"

namespace keel::ctl {
namespace {

using keel::v1::Containers;
using keel::v1::Tasks;

// "busybox" -> "busybox:latest", as docker names an image it cannot find.
std::string with_default_tag(const std::string& ref) {
  if (ref.find('@') != std::string::npos)
    return ref;
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash))
    return ref;
  return ref + ":latest";
}

// A failure before the container runs: docker's "docker: Error response from daemon: ..." and
// the usage hint, exit 125 unless start_failure_exit_code says otherwise.
[[noreturn]] void run_failure(const std::string& verb, const std::string& message, int code) {
  throw CommandError("keelctl: " + message + "\nSee 'keelctl " + verb + " --help'.", code);
}

void check_run(Client& client, const grpc::Status& status, const std::string& verb,
               int code = 125) {
  try {
    client.check(status, code);
  } catch (const CommandError& error) {
    run_failure(verb, error.what(), error.exit_code());
  }
}

void require_terminal(bool tty, bool interactive) {
  if (tty && interactive && !::isatty(STDIN_FILENO))
    throw CommandError("the input device is not a TTY", 1);
}

std::string detach_sequence(const std::string& text) {
  return parse_detach_keys(text.empty() ? "ctrl-p,ctrl-q" : text);
}

keel::v1::Container get_container(Client& client, const std::string& name) {
  keel::v1::ContainerRequest request;
  request.set_id(name);
  keel::v1::Container container;
  grpc::ClientContext context;
  client.check(Containers::NewStub(client.channel())->Get(&context, request, &container));
  return container;
}

// docker's exit status of a session: the container's code, 0 when detached, 128 + signal when
// a signal ended it. A stream that broke without an exit code asks Tasks.Wait.
int session_exit(Client& client, const std::string& id, const IoResult& result) {
  if (result.detached)
    return 0;
  if (result.signal != 0)
    return 128 + result.signal;
  if (result.exit_code)
    return *result.exit_code;
  keel::v1::TaskRequest request;
  request.set_id(id);
  keel::v1::TaskStatus status;
  grpc::ClientContext context;
  client.check(Tasks::NewStub(client.channel())->Wait(&context, request, &status));
  return status.exit_code();
}

// --rm: keeld may have removed the container already, which is not an error.
void remove_quietly(Client& client, const std::string& id) {
  keel::v1::RemoveContainerRequest request;
  request.set_id(id);
  request.set_volumes(true);
  keel::v1::Empty empty;
  grpc::ClientContext context;
  const grpc::Status status =
      Containers::NewStub(client.channel())->Remove(&context, request, &empty);
  if (status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND ||
      status.error_message().find("already in progress") != std::string::npos)
    return;
  try {
    client.check(status);
  } catch (const CommandError& error) {
    std::cerr << error.what() << "\n";
  }
}

void run(Client& client, const RunFlags& flags, bool create_only) {
  const std::string verb = create_only ? "create" : "run";
  keel::v1::CreateContainerRequest request;
  std::string detach_keys;
  try {
    *request.mutable_config() = build_container_config(flags);
    detach_keys = detach_sequence(flags.detach_keys);
  } catch (const CommandError& error) {
    run_failure(verb, error.what(), 125);
  }
  if (!create_only && !flags.detach)
    require_terminal(flags.tty, flags.interactive);

  keel::v1::Container container;
  {
    grpc::ClientContext context;
    const grpc::Status status =
        Containers::NewStub(client.channel())->Create(&context, request, &container);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND &&
        status.error_message().find("image") != std::string::npos)
      std::cerr << "Unable to find image '" << with_default_tag(flags.args[0]) << "' locally\n";
    check_run(client, status, verb);
  }
  const std::string& id = container.id();
  if (create_only) {
    std::cout << id << "\n";
    return;
  }

  if (flags.detach) {
    keel::v1::TaskRequest start;
    start.set_id(id);
    keel::v1::TaskStatus status;
    grpc::ClientContext context;
    const grpc::Status result = Tasks::NewStub(client.channel())->Start(&context, start, &status);
    if (!result.ok())
      check_run(client, result, verb, start_failure_exit_code(result.error_message(), 125));
    std::cout << id << "\n";
    return;
  }

  keel::v1::AttachStart start;
  start.set_id(id);
  start.set_stdin(flags.interactive);
  start.set_stdout(true);
  start.set_stderr(true);
  start.set_start(true);
  IoOptions options;
  options.tty = flags.tty;
  options.send_stdin = flags.interactive;
  options.detach_keys = detach_keys;
  if (flags.sig_proxy && !flags.tty)
    options.proxy_to = id;
  const IoResult result = attach_session(client, start, options);
  if (!result.status.ok() && !result.exit_code && !result.started && !result.detached &&
      result.signal == 0) {
    if (flags.remove)
      remove_quietly(client, id);
    check_run(client, result.status, verb,
              start_failure_exit_code(result.status.error_message(), 125));
  }
  const int code = session_exit(client, id, result);
  if (flags.remove && !result.detached)
    remove_quietly(client, id);
  if (code != 0)
    throw CommandError("", code);
}

void start(Client& client, const std::vector<std::string>& names, bool attach, bool interactive,
           const std::string& keys) {
  if (!attach && !interactive) {
    std::vector<std::string> failed;
    for (const auto& name : names) {
      keel::v1::TaskRequest request;
      request.set_id(name);
      keel::v1::TaskStatus status;
      grpc::ClientContext context;
      try {
        client.check(Tasks::NewStub(client.channel())->Start(&context, request, &status));
        std::cout << name << "\n";
      } catch (const CommandError& error) {
        std::cerr << error.what() << "\n";
        failed.push_back(name);
      }
    }
    if (!failed.empty()) {
      std::string list;
      for (const auto& name : failed)
        list += (list.empty() ? "" : ", ") + name;
      throw CommandError("Error: failed to start containers: " + list);
    }
    return;
  }
  if (names.size() > 1)
    throw CommandError("you cannot start and attach multiple containers at once");
  const keel::v1::Container container = get_container(client, names[0]);
  const bool tty = container.config().tty();
  const bool send_stdin = interactive && container.config().open_stdin();
  require_terminal(tty, send_stdin);
  keel::v1::AttachStart request;
  request.set_id(container.id());
  request.set_stdin(send_stdin);
  request.set_stdout(true);
  request.set_stderr(true);
  request.set_start(true);
  IoOptions options;
  options.tty = tty;
  options.send_stdin = send_stdin;
  options.detach_keys = detach_sequence(keys);
  if (!tty)
    options.proxy_to = container.id();
  const IoResult result = attach_session(client, request, options);
  if (!result.status.ok() && !result.exit_code && !result.started && !result.detached &&
      result.signal == 0)
    client.check(result.status);
  const int code = session_exit(client, container.id(), result);
  if (code != 0)
    throw CommandError("", code);
}

void attach(Client& client, const std::string& name, bool no_stdin, bool sig_proxy,
            const std::string& keys) {
  const keel::v1::Container container = get_container(client, name);
  const std::string& status = container.state().status();
  if (status == "paused")
    throw CommandError("You cannot attach to a paused container, unpause it first");
  if (status != "running" && status != "restarting")
    throw CommandError("You cannot attach to a stopped container, start it first");
  const bool tty = container.config().tty();
  const bool send_stdin = !no_stdin && container.config().open_stdin();
  require_terminal(tty, send_stdin);
  keel::v1::AttachStart request;
  request.set_id(container.id());
  request.set_stdin(send_stdin);
  request.set_stdout(true);
  request.set_stderr(true);
  IoOptions options;
  options.tty = tty;
  options.send_stdin = send_stdin;
  options.detach_keys = detach_sequence(keys);
  if (sig_proxy && !tty)
    options.proxy_to = container.id();
  const IoResult result = attach_session(client, request, options);
  if (!result.status.ok() && !result.exit_code && !result.started && !result.detached &&
      result.signal == 0)
    client.check(result.status);
  const int code = session_exit(client, container.id(), result);
  if (code != 0)
    throw CommandError("", code);
}

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
  std::vector<std::string> args;
};

void exec(Client& client, const ExecFlags& flags) {
  if (flags.args.size() < 2)
    throw CommandError(
        "\"exec\" requires at least 2 arguments.\nSee 'keelctl exec --help'.\n\nUsage:  keelctl "
        "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
        1);
  if (!flags.detach)
    require_terminal(flags.tty, flags.interactive);
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
    if (code == grpc::StatusCode::NOT_FOUND || code == grpc::StatusCode::FAILED_PRECONDITION ||
        code == grpc::StatusCode::UNAVAILABLE || result.started)
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

int start_failure_exit_code(const std::string& message, int fallback) {
  if (message.find("executable file not found") != std::string::npos ||
      message.find("no such file or directory") != std::string::npos)
    return 127;
  if (message.find("permission denied") != std::string::npos ||
      message.find("is a directory") != std::string::npos)
    return 126;
  return fallback;
}

void add_run_verbs(CLI::App& parent, Client& client, bool /*grouped*/) {
  for (const bool create_only : {false, true}) {
    auto* cmd = parent.add_subcommand(
        create_only ? "create" : "run",
        create_only ? "Create a new container" : "Create and run a new container from an image");
    auto flags = std::make_shared<RunFlags>();
    add_run_flags(*cmd, *flags, !create_only);
    cmd->callback([=, &client] { run(client, *flags, create_only); });
  }
  {
    auto* cmd = parent.add_subcommand("start", "Start one or more stopped containers");
    auto names = std::make_shared<std::vector<std::string>>();
    auto attach_flag = std::make_shared<bool>(false);
    auto interactive = std::make_shared<bool>(false);
    auto keys = std::make_shared<std::string>();
    cmd->add_flag("-a,--attach", *attach_flag, "Attach STDOUT/STDERR and forward signals");
    cmd->add_flag("-i,--interactive", *interactive, "Attach container's STDIN");
    cmd->add_option("--detach-keys", *keys, "Override the key sequence for detaching a container");
    cmd->add_option("containers", *names, "CONTAINER...")->required();
    cmd->callback([=, &client] { start(client, *names, *attach_flag, *interactive, *keys); });
  }
  {
    auto* cmd = parent.add_subcommand(
        "attach", "Attach local standard input, output, and error streams to a running container");
    auto name = std::make_shared<std::string>();
    auto no_stdin = std::make_shared<bool>(false);
    auto sig_proxy = std::make_shared<bool>(true);
    auto keys = std::make_shared<std::string>();
    cmd->add_flag("--no-stdin", *no_stdin, "Do not attach STDIN");
    cmd->add_option("--sig-proxy", *sig_proxy, "Proxy all received signals to the process")
        ->default_str("true");
    cmd->add_option("--detach-keys", *keys, "Override the key sequence for detaching a container");
    cmd->add_option("container", *name, "CONTAINER")->required();
    cmd->callback([=, &client] { attach(client, *name, *no_stdin, *sig_proxy, *keys); });
  }
  {
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
}

}  // namespace keel::ctl
