// keelctl top: a container's processes as ps inside it shows them.
#include <algorithm>
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

// docker top's table: tabwriter with minwidth 20 and padding 3.
void top(Client& client, const std::string& name, const std::vector<std::string>& ps_args) {
  keel::v1::TopRequest request;
  request.set_id(name);
  for (const auto& arg : ps_args)
    request.add_ps_args(arg);
  keel::v1::TopResponse response;
  rpc::ClientContext context;
  client.check(api::Tasks::NewStub(client.channel())->Top(&context, request, &response));
  std::vector<std::vector<std::string>> lines;
  lines.emplace_back(response.titles().begin(), response.titles().end());
  for (const auto& process : response.processes())
    lines.emplace_back(process.fields().begin(), process.fields().end());
  std::vector<std::size_t> widths;
  for (const auto& line : lines)
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (widths.size() <= i)
        widths.push_back(0);
      widths[i] = std::max(widths[i], line[i].size());
    }
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t i = 0; i < line.size(); ++i) {
      text += line[i];
      if (i + 1 < line.size())
        text.append(std::max<std::size_t>(widths[i] + 3, 20) - line[i].size(), ' ');
    }
    std::cout << text << "\n";
  }
}

}  // namespace

void add_top(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("top", "Display the running processes of a container");
  cmd->positionals_at_end();
  auto args = std::make_shared<std::vector<std::string>>();
  cmd->add_option("args", *args, "CONTAINER [ps OPTIONS]")->required();
  cmd->callback([=, &client] {
    top(client, args->front(), std::vector<std::string>(args->begin() + 1, args->end()));
  });
}

}  // namespace keel::ctl
