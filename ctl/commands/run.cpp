// keelctl run and create: a container from docker's flags (container_config.h), then for run its
// start, attached or detached, and --rm.
#include <unistd.h>

#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/container_attach.h"
#include "ctl/container_config.h"
#include "ctl/container_helpers.h"
#include "ctl/image_pull.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

using api::Containers;
using api::Tasks;

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

void check_run(Client& client, const rpc::Status& status, const std::string& verb, int code = 125) {
  try {
    client.check(status, code);
  } catch (const CommandError& error) {
    run_failure(verb, error.what(), error.exit_code());
  }
}

// --rm: keeld may have removed the container already, which is not an error.
void remove_quietly(Client& client, const std::string& id) {
  keel::v1::RemoveContainerRequest request;
  request.set_id(id);
  request.set_volumes(true);
  keel::v1::Empty empty;
  rpc::ClientContext context;
  const rpc::Status status =
      Containers::NewStub(client.channel())->Remove(&context, request, &empty);
  if (status.ok() || status.error_code() == rpc::StatusCode::NOT_FOUND ||
      status.error_message().find("already in progress") != std::string::npos)
    return;
  try {
    client.check(status);
  } catch (const CommandError& error) {
    std::cerr << error.what() << "\n";
  }
}

void start_detached(Client& client, const std::string& id, const std::string& verb) {
  keel::v1::TaskRequest start;
  start.set_id(id);
  keel::v1::TaskStatus status;
  rpc::ClientContext context;
  const rpc::Status result = Tasks::NewStub(client.channel())->Start(&context, start, &status);
  if (!result.ok())
    check_run(client, result, verb, start_failure_exit_code(result.error_message(), 125));
  std::cout << id << "\n";
}

void run_attached(Client& client, const std::string& id, const RunFlags& flags,
                  const std::string& verb, std::string detach_keys) {
  AttachPlan plan;
  plan.id = id;
  plan.tty = flags.tty;
  plan.send_stdin = flags.interactive;
  plan.start = true;
  plan.sig_proxy = flags.sig_proxy;
  plan.detach_keys = std::move(detach_keys);
  const IoResult result = attach_container(client, plan);
  if (failed_before_start(result)) {
    if (flags.remove)
      remove_quietly(client, id);
    check_run(client, result.status, verb,
              start_failure_exit_code(result.status.error_message(), 125));
  }
  // With --rm keeld removes the container itself when it exits, and the session's end waited for
  // that removal to settle (as docker's CLI waits for "removed" rather than removing): a Remove
  // of ours would only find it gone.
  const int code = session_exit(client, id, result);
  if (code != 0)
    throw CommandError("", code);
}

// The image's pull for --pull always and missing: progress and status on stderr, as docker
// keeps stdout for the container.
void pull_for_run(Client& client, const std::string& image, const std::string& verb) {
  try {
    const PulledImage pulled =
        pull_image(client, image, "", false, std::cerr, ::isatty(STDERR_FILENO) == 1);
    print_pull_status(pulled, std::cerr);
  } catch (const CommandError& error) {
    run_failure(verb, error.what(), 125);
  }
}

rpc::Status create_container(Client& client, const keel::v1::CreateContainerRequest& request,
                             keel::v1::Container& container) {
  rpc::ClientContext context;
  return Containers::NewStub(client.channel())->Create(&context, request, &container);
}

void run(Client& client, const RunFlags& flags, bool create_only) {
  const std::string verb = create_only ? "create" : "run";
  if (flags.pull != "missing" && flags.pull != "always" && flags.pull != "never")
    run_failure(verb,
                "invalid pull option: '" + flags.pull +
                    "': must be one of \"always\", \"missing\" or \"never\"",
                125);
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

  const std::string& image = flags.args[0];
  if (flags.pull == "always")
    pull_for_run(client, image, verb);
  keel::v1::Container container;
  rpc::Status status = create_container(client, request, container);
  if (flags.pull == "missing" && status.error_code() == rpc::StatusCode::NOT_FOUND &&
      status.error_message().find("No such image") != std::string::npos) {
    std::cerr << "Unable to find image '" << with_default_tag(image) << "' locally\n";
    pull_for_run(client, image, verb);
    status = create_container(client, request, container);
  }
  check_run(client, status, verb);
  if (create_only)
    std::cout << container.id() << "\n";
  else if (flags.detach)
    start_detached(client, container.id(), verb);
  else
    run_attached(client, container.id(), flags, verb, std::move(detach_keys));
}

}  // namespace

void add_run(CLI::App& parent, Client& client, bool /*grouped*/) {
  for (const bool create_only : {false, true}) {
    auto* cmd = parent.add_subcommand(
        create_only ? "create" : "run",
        create_only ? "Create a new container" : "Create and run a new container from an image");
    auto flags = std::make_shared<RunFlags>();
    add_run_flags(*cmd, *flags, !create_only);
    cmd->callback([=, &client] { run(client, *flags, create_only); });
  }
}

}  // namespace keel::ctl
