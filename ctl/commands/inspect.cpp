// keelctl inspect: docker's JSON of containers and images. The top-level verb looks a name up
// as a container, then as an image (--type narrows it); `container inspect` and
// `image inspect` look up one kind only.
#include <iostream>

#include "ctl/commands/commands.h"
#include "ctl/container_json.h"
#include "ctl/format.h"
#include "ctl/image_json.h"
#include "ctl/services.h"

namespace keel::ctl {
namespace {

// The JSON of name as a container; nullopt when keeld has no such container.
std::optional<nlohmann::json> find_container(Client& client, const std::string& name) {
  keel::v1::ContainerRequest request;
  request.set_id(name);
  keel::v1::Container container;
  rpc::ClientContext context;
  const rpc::Status status =
      api::Containers::NewStub(client.channel())->Get(&context, request, &container);
  if (status.error_code() == rpc::StatusCode::NOT_FOUND)
    return std::nullopt;
  client.check(status);
  return container_inspect_json(container);
}

// The JSON of name as an image; nullopt when keeld has no such image.
std::optional<nlohmann::json> find_image(Client& client, const std::string& name) {
  keel::v1::GetImageRequest request;
  request.set_ref(name);
  keel::v1::Image image;
  rpc::ClientContext context;
  const rpc::Status status = api::Images::NewStub(client.channel())->Get(&context, request, &image);
  if (status.error_code() == rpc::StatusCode::NOT_FOUND)
    return std::nullopt;
  client.check(status);
  return image_inspect_json(image);
}

// type is "container", "image" or "" for both. Prints what was found, then fails with one
// "Error: No such <type>: name" line per name that was not.
void inspect(Client& client, const std::vector<std::string>& names, const std::string& format,
             const std::string& type) {
  if (!type.empty() && type != "container" && type != "image")
    throw CommandError("\"" + type + "\" is not a valid value for --type");
  nlohmann::json all = nlohmann::json::array();
  std::vector<std::string> missing;
  for (const auto& name : names) {
    std::optional<nlohmann::json> found;
    if (type != "image")
      found = find_container(client, name);
    if (!found && type != "container")
      found = find_image(client, name);
    if (found)
      all.push_back(std::move(*found));
    else
      missing.push_back(name);
  }
  try {
    if (format.empty())
      std::cout << all.dump(4) << "\n";
    else
      for (const auto& one : all)
        std::cout << render_json_template(format, one) << "\n";
  } catch (const FormatError& error) {
    throw CommandError(error.what());
  }
  if (missing.empty())
    return;
  const std::string what = type.empty() ? "object" : type;
  std::string message;
  for (const auto& name : missing)
    message += (message.empty() ? "" : "\n") + std::string("Error: No such ") + what + ": " + name;
  throw CommandError(message);
}

}  // namespace

void add_inspect(CLI::App& parent, Client& client, bool grouped) {
  auto* cmd = parent.add_subcommand("inspect", grouped ? "Display detailed information on one or "
                                                         "more containers"
                                                       : "Return low-level information on keeld "
                                                         "objects");
  auto names = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  auto type = std::make_shared<std::string>(grouped ? "container" : "");
  auto size = std::make_shared<bool>(false);
  cmd->add_option("-f,--format", *format, "Format output using a template");
  cmd->add_flag("-s,--size", *size, "Display total file sizes");
  if (!grouped)
    cmd->add_option("--type", *type, "Return JSON for specified type");
  cmd->add_option("names", *names, "NAME|ID...")->required();
  cmd->callback([=, &client] { inspect(client, *names, *format, *type); });
}

void add_image_inspect(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* cmd = parent.add_subcommand("inspect", "Display detailed information on images");
  auto refs = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<std::string>();
  cmd->add_option("images", *refs, "IMAGE...")->required();
  cmd->add_option("-f,--format", *format, "Format output using a template");
  cmd->callback([=, &client] { inspect(client, *refs, *format, "image"); });
}

}  // namespace keel::ctl
