// keelctl save: images as a docker archive, to a file (-o) or stdout.
#include "ctl/commands/commands.h"
#include "ctl/services.h"
#include "ctl/streams.h"

namespace keel::ctl {
namespace {

void save(Client& client, const std::vector<std::string>& refs, const std::string& output) {
  ChunkSink sink(output);
  keel::v1::SaveRequest request;
  for (const auto& ref : refs)
    request.add_refs(ref);
  rpc::ClientContext context;
  auto reader = api::Images::NewStub(client.channel())->Save(&context, request);
  receive_chunks<keel::v1::Chunk>(client, *reader, sink);
}

}  // namespace

void add_save(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("save", "Save one or more images to a tar archive");
  auto output = std::make_shared<std::string>();
  auto refs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
  cmd->add_option("images", *refs, "IMAGE...")->required();
  cmd->callback([=, &client] { save(client, *refs, *output); });
}

}  // namespace keel::ctl
