// keelctl commit: a new image from a container's changes; prints its id.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

struct CommitFlags {
  std::string name;
  std::string ref;
  std::vector<std::string> changes;
  std::string message;
  std::string author;
  bool pause = true;
};

void commit(Client& client, const CommitFlags& flags) {
  keel::v1::CommitContainerRequest request;
  request.set_id(flags.name);
  request.set_ref(flags.ref);
  for (const auto& change : flags.changes)
    request.add_changes(change);
  request.set_message(flags.message);
  request.set_author(flags.author);
  request.set_pause(flags.pause);
  keel::v1::Image image;
  rpc::ClientContext context;
  client.check(api::Containers::NewStub(client.channel())->Commit(&context, request, &image));
  std::cout << image.id() << "\n";
}

}  // namespace

void add_commit(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("commit", "Create a new image from a container's changes");
  auto flags = std::make_shared<CommitFlags>();
  cmd->add_option("-c,--change", flags->changes,
                  "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", flags->message, "Commit message");
  cmd->add_option("-a,--author", flags->author,
                  "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\")");
  cmd->add_flag("-p,--pause,!--no-pause", flags->pause, "Pause container during commit")
      ->default_str("true");
  cmd->add_option("container", flags->name, "CONTAINER")->required();
  cmd->add_option("reference", flags->ref, "[REPOSITORY[:TAG]]");
  cmd->callback([=, &client] { commit(client, *flags); });
}

}  // namespace keel::ctl
