// keelctl pull: an image from its registry, through keeld, with docker's progress lines; with
// -a every tag of the repository.
#include <unistd.h>

#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/image_pull.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

struct PullFlags {
  std::string ref;
  std::string platform;
  bool quiet = false;
  bool all_tags = false;
};

void pull_one(Client& client, const PullFlags& flags) {
  const PulledImage pulled = pull_image(client, flags.ref, flags.platform, flags.quiet, std::cout,
                                        ::isatty(STDOUT_FILENO) == 1);
  if (!flags.quiet)
    print_pull_status(pulled, std::cout);
  std::cout << pulled.name << "\n";
}

// True when ref names a tag or digest, which --all-tags cannot take.
bool names_a_version(const std::string& ref) {
  if (ref.find('@') != std::string::npos)
    return true;
  const auto slash = ref.rfind('/');
  const auto colon = ref.rfind(':');
  return colon != std::string::npos && (slash == std::string::npos || colon > slash);
}

void pull_all_tags(Client& client, const PullFlags& flags) {
  if (names_a_version(flags.ref))
    throw CommandError("tag can't be used with --all-tags/-a");
  keel::v1::ListTagsRequest request;
  request.set_repository(flags.ref);
  keel::v1::ListTagsResponse tags;
  {
    rpc::ClientContext context;
    client.check(api::Registry::NewStub(client.channel())->ListTags(&context, request, &tags));
  }
  bool downloaded = false;
  for (const auto& tag : tags.tags()) {
    const PulledImage pulled = pull_image(client, tags.name() + ":" + tag, flags.platform,
                                          flags.quiet, std::cout, ::isatty(STDOUT_FILENO) == 1);
    downloaded = downloaded || pulled.downloaded;
    if (!flags.quiet)
      std::cout << "Digest: " << pulled.digest << "\n";
  }
  if (!flags.quiet)
    std::cout << "Status: "
              << (downloaded ? "Downloaded newer image for " : "Image is up to date for ")
              << tags.name() << "\n";
  std::cout << tags.name() << "\n";
}

}  // namespace

void add_pull(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("pull", "Download an image from a registry");
  auto flags = std::make_shared<PullFlags>();
  cmd->add_option("NAME[:TAG|@DIGEST]", flags->ref, "Image to pull")->required();
  cmd->add_option("--platform", flags->platform,
                  "Set platform if server is multi-platform capable");
  cmd->add_flag("-q,--quiet", flags->quiet, "Suppress verbose output");
  cmd->add_flag("-a,--all-tags", flags->all_tags, "Download all tagged images in the repository");
  cmd->callback([flags, &client] {
    if (flags->all_tags)
      pull_all_tags(client, *flags);
    else
      pull_one(client, *flags);
  });
}

}  // namespace keel::ctl
