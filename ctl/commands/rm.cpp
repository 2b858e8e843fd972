// keelctl rm (container rm, container remove): removes containers, running ones with -f.
#include "ctl/commands/commands.h"
#include "ctl/container_helpers.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

// As many removals in flight as keeld serves at once without queueing much: each is mostly
// waiting for a shim and the filesystem.
constexpr std::size_t kRemovalsInFlight = 8;

}  // namespace

void add_rm(CLI::App& parent, Client& client, bool grouped) {
  auto* cmd = parent.add_subcommand("rm", "Remove one or more containers");
  if (grouped)
    cmd->alias("remove");
  auto names = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto volumes = std::make_shared<bool>(false);
  cmd->add_flag("-f,--force", *force, "Force the removal of a running container (uses SIGKILL)");
  cmd->add_flag("-v,--volumes", *volumes, "Remove anonymous volumes associated with the container");
  cmd->add_option("containers", *names, "CONTAINER...")->required();
  cmd->callback([=, &client] {
    // One channel for every worker: made here, before they start.
    auto channel = client.channel();
    for_each_container_parallel(
        *names,
        [&](const std::string& name) {
          keel::v1::RemoveContainerRequest request;
          request.set_id(name);
          request.set_force(*force);
          request.set_volumes(*volumes);
          keel::v1::Empty empty;
          rpc::ClientContext context;
          client.check(api::Containers::NewStub(channel)->Remove(&context, request, &empty));
        },
        kRemovalsInFlight);
  });
}

}  // namespace keel::ctl
