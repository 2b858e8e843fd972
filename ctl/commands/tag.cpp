// keelctl tag: a new name for an image.
#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {

void add_tag(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("tag",
                                    "Create a tag TARGET_IMAGE that refers to "
                                    "SOURCE_IMAGE");
  auto source = std::make_shared<std::string>();
  auto target = std::make_shared<std::string>();
  cmd->add_option("source", *source, "SOURCE_IMAGE[:TAG]")->required();
  cmd->add_option("target", *target, "TARGET_IMAGE[:TAG]")->required();
  cmd->callback([=, &client] {
    keel::v1::TagImageRequest request;
    request.set_source(*source);
    request.set_target(*target);
    keel::v1::Image image;
    rpc::ClientContext context;
    client.check(api::Images::NewStub(client.channel())->Tag(&context, request, &image));
  });
}

}  // namespace keel::ctl
