// keelctl pull: an image from its registry, through keeld, with docker's progress lines.
#include <unistd.h>

#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/layer_progress.h"
#include "keel/v1/images.grpc.pb.h"

namespace keel::ctl {
namespace {

void pull(Client& client, const std::string& ref, const std::string& platform, bool quiet) {
  grpc::ClientContext context;
  keel::v1::PullRequest request;
  request.set_ref(ref);
  request.set_platform(platform);
  auto reader = keel::v1::Images::NewStub(client.channel())->Pull(&context, request);
  LayerProgressDisplay display(::isatty(STDOUT_FILENO) == 1);
  keel::v1::PullProgress line;
  keel::v1::Image image;
  bool downloaded = false;
  if (!quiet)
    std::cout << "Pulling from " << ref << "\n" << std::flush;
  while (reader->Read(&line)) {
    if (line.has_image()) {
      image = line.image();
      continue;
    }
    downloaded = downloaded || line.status() == "Download complete";
    if (!quiet)
      std::cout << display.update(line.id(), line.status(), line.current(), line.total())
                << std::flush;
  }
  client.check(reader->Finish());
  const std::string name = image.repo_tags().empty() ? ref : image.repo_tags(0);
  if (quiet) {
    std::cout << name << "\n";
    return;
  }
  std::cout << "Digest: " << image.target().digest() << "\n"
            << "Status: "
            << (downloaded ? "Downloaded newer image for " : "Image is up to date for ") << name
            << "\n"
            << name << "\n";
}

}  // namespace

void add_pull(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("pull", "Download an image from a registry");
  auto ref = std::make_shared<std::string>();
  auto platform = std::make_shared<std::string>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("NAME[:TAG|@DIGEST]", *ref, "Image to pull")->required();
  cmd->add_option("--platform", *platform, "Set platform if server is multi-platform capable");
  cmd->add_flag("-q,--quiet", *quiet, "Suppress verbose output");
  cmd->callback([=, &client] { pull(client, *ref, *platform, *quiet); });
}

}  // namespace keel::ctl
