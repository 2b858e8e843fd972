// keelctl history: an image's layers, newest first, as its config records them.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/format.h"
#include "ctl/services.h"
#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

struct HistoryFlags {
  std::string ref;
  bool no_trunc = false;
  bool human = true;
  bool quiet = false;
  std::string format;
};

// Only the newest entry is known by an id; docker shows "<missing>" for the others.
std::vector<Row> history_rows(const keel::v1::HistoryResponse& response,
                              const keel::v1::Image& image, const HistoryFlags& flags) {
  std::vector<Row> rows;
  bool first = true;
  for (const auto& entry : response.entries()) {
    std::string id = "<missing>";
    if (first)
      id = flags.no_trunc ? image.id() : short_id(image.id());
    first = false;
    std::string created_by = entry.created_by();
    if (!flags.no_trunc && created_by.size() > 45)
      created_by = created_by.substr(0, 44) + "…";
    const std::string created_at = rfc3339_nano(from_timestamp(entry.created()));
    rows.push_back(Row{{"ID", id},
                       {"CreatedSince", flags.human ? created_since(entry.created()) : created_at},
                       {"CreatedAt", created_at},
                       {"CreatedBy", created_by},
                       {"Size", flags.human ? human_size(static_cast<double>(entry.size()))
                                            : std::to_string(entry.size())},
                       {"Comment", entry.comment()}});
  }
  return rows;
}

void history(Client& client, const HistoryFlags& flags) {
  keel::v1::GetImageRequest request;
  request.set_ref(flags.ref);
  keel::v1::HistoryResponse response;
  rpc::ClientContext context;
  auto stub = api::Images::NewStub(client.channel());
  client.check(stub->History(&context, request, &response));
  keel::v1::Image image;
  rpc::ClientContext get_context;
  client.check(stub->Get(&get_context, request, &image));
  const std::vector<Row> rows = history_rows(response, image, flags);
  if (flags.quiet) {
    for (const auto& row : rows)
      std::cout << row.at("ID") << "\n";
    return;
  }
  std::cout << render_rows(flags.format,
                           "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t"
                           "{{.Comment}}",
                           rows,
                           {{"ID", "IMAGE"},
                            {"CreatedSince", "CREATED"},
                            {"CreatedBy", "CREATED BY"},
                            {"CreatedAt", "CREATED AT"}});
}

}  // namespace

void add_history(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("history", "Show the history of an image");
  auto flags = std::make_shared<HistoryFlags>();
  cmd->add_option("image", flags->ref, "IMAGE")->required();
  cmd->add_flag("--no-trunc", flags->no_trunc, "Don't truncate output");
  cmd->add_option("-H,--human", flags->human, "Print sizes and dates in human readable format");
  cmd->add_flag("-q,--quiet", flags->quiet, "Only show image IDs");
  cmd->add_option("--format", flags->format, "Format output: table, json or a template");
  cmd->callback([=, &client] { history(client, *flags); });
}

}  // namespace keel::ctl
