// keelctl rmi (image rm, image remove): untags and deletes images, each failure reported.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/references.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

// docker removes each image in turn and reports each failure, exiting 1 if any failed.
void remove(Client& client, const std::vector<std::string>& refs, bool force, bool no_prune) {
  bool failed = false;
  for (const auto& ref : refs) {
    keel::v1::RemoveImageRequest request;
    request.add_refs(ref);
    request.set_force(force);
    request.set_no_prune(no_prune);
    keel::v1::RemoveImageResponse response;
    rpc::ClientContext context;
    try {
      client.check(api::Images::NewStub(client.channel())->Remove(&context, request, &response));
    } catch (const CommandError& error) {
      std::cerr << error.what() << "\n";
      failed = true;
      continue;
    }
    for (const auto& name : response.untagged())
      std::cout << "Untagged: " << familiar_name(name) << "\n";
    for (const auto& id : response.deleted())
      std::cout << "Deleted: " << id << "\n";
  }
  if (failed)
    throw CommandError("", 1);
}

}  // namespace

void add_rmi(CLI::App& parent, Client& client, bool grouped) {
  auto* cmd = parent.add_subcommand(grouped ? "rm" : "rmi", "Remove one or more images");
  if (grouped)
    cmd->alias("remove");
  auto refs = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto no_prune = std::make_shared<bool>(false);
  cmd->add_option("images", *refs, "IMAGE...")->required();
  cmd->add_flag("-f,--force", *force, "Force removal of the image");
  cmd->add_flag("--no-prune", *no_prune, "Do not delete untagged parents");
  cmd->callback([=, &client] { remove(client, *refs, *force, *no_prune); });
}

}  // namespace keel::ctl
