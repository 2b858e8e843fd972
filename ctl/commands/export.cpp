// keelctl export: a container's filesystem as a tar, to a file (-o) or stdout.
#include "ctl/commands/commands.h"
#include "ctl/services.h"
#include "ctl/streams.h"

namespace keel::ctl {
namespace {

void export_rootfs(Client& client, const std::string& name, const std::string& output) {
  ChunkSink sink(output);
  keel::v1::ContainerRequest request;
  request.set_id(name);
  rpc::ClientContext context;
  auto reader = api::Containers::NewStub(client.channel())->Export(&context, request);
  receive_chunks<keel::v1::Chunk>(client, *reader, sink);
}

}  // namespace

void add_export(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("export", "Export a container's filesystem as a tar archive");
  auto name = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("-o,--output", *output, "Write to a file, instead of STDOUT");
  cmd->add_option("container", *name, "CONTAINER")->required();
  cmd->callback([=, &client] { export_rootfs(client, *name, *output); });
}

}  // namespace keel::ctl
