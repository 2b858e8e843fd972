// keelctl cp: files between a container and the host, either way (copy_transfer.h).
#include "ctl/commands/commands.h"
#include "ctl/copy_archive.h"
#include "ctl/copy_transfer.h"

namespace keel::ctl {
namespace {

void cp(Client& client, const std::string& from, const std::string& to, bool follow,
        bool keep_owner, bool quiet) {
  const auto [src_container, src_path] = split_cp_arg(from);
  const auto [dest_container, dest_path] = split_cp_arg(to);
  if (!src_container.empty() && !dest_container.empty())
    throw CommandError("copying between containers is not supported");
  if (src_container.empty() && dest_container.empty())
    throw CommandError("must specify at least one container source");
  if (!src_container.empty())
    copy_from_container(client, src_container, src_path.empty() ? "/" : src_path, to, quiet);
  else
    copy_to_container(client, from, dest_container, dest_path.empty() ? "/" : dest_path, follow,
                      keep_owner, quiet || from == "-");
}

}  // namespace

void add_cp(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("cp",
                                    "Copy files/folders between a container and the local "
                                    "filesystem");
  auto from = std::make_shared<std::string>();
  auto to = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  auto archive_mode = std::make_shared<bool>(false);
  auto quiet = std::make_shared<bool>(false);
  cmd->add_flag("-L,--follow-link", *follow, "Always follow symbol link in SRC_PATH");
  cmd->add_flag("-a,--archive", *archive_mode, "Archive mode (copy all uid/gid information)");
  cmd->add_flag("-q,--quiet", *quiet, "Suppress progress output during copy");
  cmd->add_option("src", *from, "CONTAINER:SRC_PATH | SRC_PATH | -")->required();
  cmd->add_option("dest", *to, "DEST_PATH | CONTAINER:DEST_PATH | -")->required();
  cmd->callback([=, &client] { cp(client, *from, *to, *follow, *archive_mode, *quiet); });
}

}  // namespace keel::ctl
