// keelctl update: new limits (memory, CPUs, pids) or restart policy for running containers.
#include "ctl/commands/commands.h"
#include "ctl/container_config.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

struct UpdateFlags {
  std::vector<std::string> names;
  std::string memory;
  std::string cpus;
  std::optional<std::int64_t> pids_limit;
  std::string restart;
};

void update(Client& client, const UpdateFlags& flags) {
  if (flags.memory.empty() && flags.cpus.empty() && !flags.pids_limit && flags.restart.empty())
    throw CommandError("you must provide one or more flags when using this command");
  keel::v1::UpdateContainerRequest request;
  try {
    if (!flags.memory.empty())
      request.mutable_resources()->set_memory(parse_memory(flags.memory, "-m, --memory"));
    if (!flags.cpus.empty())
      request.mutable_resources()->set_milli_cpus(parse_cpus(flags.cpus));
    if (flags.pids_limit)
      request.mutable_resources()->set_pids_limit(*flags.pids_limit);
    if (!flags.restart.empty())
      *request.mutable_restart_policy() = parse_restart_policy(flags.restart);
  } catch (const CommandError& error) {
    // The parsers fail with run's 125; update fails with 1, as docker's does.
    throw CommandError(error.what(), 1);
  }
  for_each_container(flags.names, [&](const std::string& name) {
    request.set_id(name);
    keel::v1::Container container;
    rpc::ClientContext context;
    client.check(api::Containers::NewStub(client.channel())->Update(&context, request, &container));
  });
}

}  // namespace

void add_update(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("update", "Update configuration of one or more containers");
  auto flags = std::make_shared<UpdateFlags>();
  cmd->add_option("-m,--memory", flags->memory, "Memory limit");
  cmd->add_option("--cpus", flags->cpus, "Number of CPUs");
  cmd->add_option("--pids-limit", flags->pids_limit,
                  "Tune container pids limit (set -1 for unlimited)");
  cmd->add_option("--restart", flags->restart, "Restart policy to apply when a container exits");
  cmd->add_option("containers", flags->names, "CONTAINER...")->required();
  cmd->callback([=, &client] { update(client, *flags); });
}

}  // namespace keel::ctl
