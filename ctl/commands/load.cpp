// keelctl load: images from a docker or OCI archive, from a file (-i) or stdin.
#include <unistd.h>

#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"
#include "ctl/streams.h"

namespace keel::ctl {
namespace {

void load(Client& client, const std::string& input, bool quiet) {
  if (input == "-" && ::isatty(STDIN_FILENO))
    throw CommandError(
        "requested load from stdin, but stdin is empty (use -i FILE or redirect a tar)");
  rpc::ClientContext context;
  keel::v1::LoadResponse response;
  auto writer = api::Images::NewStub(client.channel())->Load(&context, &response);
  keel::v1::Chunk chunk;
  read_chunks(input, [&](std::string_view data) {
    chunk.set_data(data.data(), data.size());
    return writer->Write(chunk);
  });
  // A failed WritesDone shows in Finish's status.
  writer->WritesDone();
  client.check(writer->Finish());
  if (!quiet)
    for (const auto& line : response.loaded())
      std::cout << line << "\n";
}

}  // namespace

void add_load(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("load", "Load an image from a tar archive or STDIN");
  auto input = std::make_shared<std::string>("-");
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("-i,--input", *input, "Read from tar archive file, instead of STDIN");
  cmd->add_flag("-q,--quiet", *quiet, "Suppress the load output");
  cmd->callback([=, &client] { load(client, *input, *quiet); });
}

}  // namespace keel::ctl
