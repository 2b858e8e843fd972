// keelctl images (image ls): the image table, one row per tag, IDs only (-q) or --format.
#include <algorithm>
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/filters.h"
#include "ctl/format.h"
#include "ctl/references.h"
#include "ctl/services.h"
#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

struct ImagesFlags {
  bool all = false;
  bool quiet = false;
  bool no_trunc = false;
  bool digests = false;
  std::string format;
  std::vector<std::string> filters;
  std::string reference;
};

std::vector<Row> image_rows(const keel::v1::ListImagesResponse& response, bool no_trunc) {
  std::vector<Row> rows;
  for (const auto& image : response.images()) {
    const std::string id = no_trunc ? image.id() : short_id(image.id());
    std::vector<std::pair<std::string, std::string>> names;
    for (const auto& tag : image.repo_tags())
      names.push_back(split_repository_tag(familiar_name(tag)));
    if (names.empty())
      names.emplace_back("<none>", "<none>");
    std::string digest = "<none>";
    if (!image.repo_digests().empty())
      digest = split_repository_tag(image.repo_digests(0)).second;
    for (const auto& [repository, tag] : names)
      rows.push_back(Row{{"Repository", repository},
                         {"Tag", tag},
                         {"ID", id},
                         {"Digest", digest},
                         {"CreatedSince", created_since(image.created())},
                         {"CreatedAt", rfc3339_nano(from_timestamp(image.created()))},
                         {"Size", human_size(static_cast<double>(image.size()))}});
  }
  return rows;
}

// -q: the ID of each row image_rows would make (one per tag, one for an untagged image), without
// the columns it does not print (the time zone read for CREATED, dates and sizes formatted).
void print_ids(const keel::v1::ListImagesResponse& response, bool no_trunc) {
  for (const auto& image : response.images()) {
    const std::string id = no_trunc ? image.id() : short_id(image.id());
    for (int row = 0; row < std::max(1, image.repo_tags_size()); ++row)
      std::cout << id << "\n";
  }
}

void list_images(Client& client, const ImagesFlags& flags) {
  keel::v1::ListImagesRequest request;
  request.set_all(flags.all);
  add_filters(*request.mutable_filters(), flags.filters);
  if (!flags.reference.empty())
    add_filters(*request.mutable_filters(), {"reference=" + flags.reference});
  keel::v1::ListImagesResponse response;
  rpc::ClientContext context;
  client.check(api::Images::NewStub(client.channel())->List(&context, request, &response));

  if (flags.quiet) {
    print_ids(response, flags.no_trunc);
    return;
  }
  const std::vector<Row> rows = image_rows(response, flags.no_trunc);
  const std::string table = flags.digests
                                ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t"
                                  "{{.CreatedSince}}\t{{.Size}}"
                                : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t"
                                  "{{.CreatedSince}}\t{{.Size}}";
  std::cout << render_rows(
      flags.format, table, rows,
      {{"ID", "IMAGE ID"}, {"CreatedSince", "CREATED"}, {"CreatedAt", "CREATED AT"}});
}

}  // namespace

void add_images(CLI::App& parent, Client& client, bool grouped) {
  auto* cmd = parent.add_subcommand(grouped ? "ls" : "images", "List images");
  if (grouped)
    cmd->alias("list");
  auto flags = std::make_shared<ImagesFlags>();
  cmd->add_flag("-a,--all", flags->all, "Show all images (default hides intermediate images)");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only show image IDs");
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  cmd->add_flag("--digests", flags->digests, "Show digests");
  cmd->add_option("--format", flags->format, "Format output: table, json or a template");
  cmd->add_option("-f,--filter", flags->filters, "Filter output based on conditions provided")
      ->allow_extra_args(false);
  cmd->add_option("reference", flags->reference, "REPOSITORY[:TAG]");
  cmd->callback([=, &client] { list_images(client, *flags); });
}

}  // namespace keel::ctl
