// keelctl image prune and system prune: one confirmation prompt and one Images.Prune; only the
// warning differs.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/format.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

// docker's prompt: true only for "y" or "Y" on stdin.
bool confirmed(const std::string& warning) {
  std::cout << "WARNING! " << warning << "\nAre you sure you want to continue? [y/N] "
            << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  return answer == "y" || answer == "Y";
}

void prune(Client& client, bool all, bool force, const std::string& warning) {
  if (!force && !confirmed(warning))
    return;
  keel::v1::PruneRequest request;
  request.set_all(all);
  keel::v1::PruneResponse response;
  rpc::ClientContext context;
  client.check(api::Images::NewStub(client.channel())->Prune(&context, request, &response));
  if (!response.deleted().empty()) {
    std::cout << "Deleted Images:\n";
    for (const auto& line : response.deleted())
      std::cout << line << "\n";
    std::cout << "\n";
  }
  std::cout << "Total reclaimed space: "
            << human_size(static_cast<double>(response.space_reclaimed())) << "\n";
}

void add_prune(CLI::App& parent, Client& client, const std::string& description,
               const std::string& all_description, const std::string& warning) {
  auto* cmd = parent.add_subcommand("prune", description);
  auto all = std::make_shared<bool>(false);
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("-a,--all", *all, all_description);
  cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  cmd->callback([=, &client] { prune(client, *all, *force, warning); });
}

}  // namespace

void add_image_prune(CLI::App& parent, Client& client, bool /*grouped*/) {
  add_prune(parent, client, "Remove unused images",
            "Remove all unused images, not just dangling ones",
            "This will remove all dangling images.");
}

void add_system_prune(CLI::App& parent, Client& client, bool /*grouped*/) {
  add_prune(parent, client, "Remove unused data", "Remove all unused images not just dangling ones",
            "This will remove:\n  - all stopped containers\n  - all dangling images\n"
            "  - unused content and snapshots\n");
}

}  // namespace keel::ctl
