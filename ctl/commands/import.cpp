// keelctl import: a one-layer image from a rootfs tar (a file or stdin); prints its id.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"
#include "ctl/streams.h"

namespace keel::ctl {
namespace {

void import_rootfs(Client& client, const std::string& file, const std::string& ref,
                   const std::vector<std::string>& changes, const std::string& message) {
  rpc::ClientContext context;
  keel::v1::Image image;
  auto writer = api::Images::NewStub(client.channel())->Import(&context, &image);
  keel::v1::ImportRequest header;
  header.mutable_header()->set_ref(ref);
  for (const auto& change : changes)
    header.mutable_header()->add_changes(change);
  header.mutable_header()->set_message(message);
  // A failed Write or WritesDone shows in Finish's status.
  if (writer->Write(header)) {
    keel::v1::ImportRequest chunk;
    read_chunks(file, [&](std::string_view data) {
      chunk.set_data(data.data(), data.size());
      return writer->Write(chunk);
    });
  }
  writer->WritesDone();
  client.check(writer->Finish());
  std::cout << image.id() << "\n";
}

}  // namespace

void add_import(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand(
      "import", "Import the contents from a tarball to create a filesystem image");
  auto file = std::make_shared<std::string>();
  auto ref = std::make_shared<std::string>();
  auto changes = std::make_shared<std::vector<std::string>>();
  auto message = std::make_shared<std::string>();
  cmd->add_option("file", *file, "file|- (a rootfs tar)")->required();
  cmd->add_option("reference", *ref, "REPOSITORY[:TAG]");
  cmd->add_option("-c,--change", *changes, "Apply Dockerfile instruction to the created image")
      ->allow_extra_args(false);
  cmd->add_option("-m,--message", *message, "Set commit message for imported image");
  cmd->callback([=, &client] { import_rootfs(client, *file, *ref, *changes, *message); });
}

}  // namespace keel::ctl
