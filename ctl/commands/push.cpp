// keelctl push: a local image to the registry its name is on, through keeld, with docker's
// progress lines.
#include <unistd.h>

#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/layer_progress.h"
#include "ctl/references.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

void push(Client& client, const std::string& ref, bool quiet) {
  rpc::ClientContext context;
  keel::v1::PushRequest request;
  request.set_ref(ref);
  auto reader = api::Images::NewStub(client.channel())->Push(&context, request);
  LayerProgressDisplay display(::isatty(STDOUT_FILENO) == 1);
  if (!quiet)
    std::cout << "The push refers to repository [" << split_repository_tag(ref).first << "]\n"
              << std::flush;
  keel::v1::PushProgress line;
  keel::v1::PushedManifest pushed;
  while (reader->Read(&line)) {
    if (line.has_pushed()) {
      pushed = line.pushed();
      continue;
    }
    if (!quiet)
      std::cout << display.update(line.id(), line.status(), line.current(), line.total())
                << std::flush;
  }
  client.check(reader->Finish());
  if (quiet) {
    std::cout << ref << "\n";
    return;
  }
  std::cout << pushed.tag() << ": digest: " << pushed.digest() << " size: " << pushed.size()
            << "\n";
}

}  // namespace

void add_push(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("push", "Upload an image to a registry");
  auto ref = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("NAME[:TAG]", *ref, "Image to push")->required();
  cmd->add_flag("-q,--quiet", *quiet, "Suppress verbose output");
  cmd->callback([=, &client] { push(client, *ref, *quiet); });
}

}  // namespace keel::ctl
