// keelctl network: create, ls, inspect, rm, prune, connect and disconnect, with docker's flags
// and output.
#include <iostream>

#include <nlohmann/json.hpp>

#include "ctl/commands/commands.h"
#include "ctl/format.h"
#include "ctl/services.h"
#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

struct CreateFlags {
  std::string name;
  std::string driver = "bridge";
  std::string subnet;
  std::string gateway;
  bool internal = false;
  std::vector<std::string> labels;
};

void create(Client& client, const CreateFlags& flags) {
  keel::v1::CreateNetworkRequest request;
  request.set_name(flags.name);
  request.set_driver(flags.driver);
  request.set_subnet(flags.subnet);
  request.set_gateway(flags.gateway);
  request.set_internal(flags.internal);
  for (const auto& label : flags.labels) {
    const auto eq = label.find('=');
    (*request.mutable_labels())[label.substr(0, eq)] =
        eq == std::string::npos ? "" : label.substr(eq + 1);
  }
  keel::v1::Network network;
  rpc::ClientContext context;
  client.check(api::Networks::NewStub(client.channel())->Create(&context, request, &network));
  std::cout << network.id() << "\n";
}

void connect(Client& client, const std::string& network, const std::string& container,
             const std::vector<std::string>& aliases, const std::string& ip) {
  keel::v1::ConnectNetworkRequest request;
  request.set_network(network);
  request.set_container(container);
  request.set_ip(ip);
  for (const auto& alias : aliases)
    request.add_aliases(alias);
  keel::v1::Empty empty;
  rpc::ClientContext context;
  client.check(api::Networks::NewStub(client.channel())->Connect(&context, request, &empty));
}

void disconnect(Client& client, const std::string& network, const std::string& container,
                bool force) {
  keel::v1::DisconnectNetworkRequest request;
  request.set_network(network);
  request.set_container(container);
  request.set_force(force);
  keel::v1::Empty empty;
  rpc::ClientContext context;
  client.check(api::Networks::NewStub(client.channel())->Disconnect(&context, request, &empty));
}

void list(Client& client, bool quiet, bool no_trunc, const std::string& format) {
  keel::v1::ListNetworksResponse response;
  rpc::ClientContext context;
  client.check(api::Networks::NewStub(client.channel())
                   ->List(&context, keel::v1::ListNetworksRequest(), &response));
  std::vector<Row> rows;
  for (const auto& network : response.networks())
    rows.push_back(Row{{"ID", no_trunc ? network.id() : short_id(network.id())},
                       {"Name", network.name()},
                       {"Driver", network.driver()},
                       {"Scope", "local"},
                       {"Subnet", network.subnet()},
                       {"Internal", network.internal() ? "true" : "false"},
                       {"CreatedAt", rfc3339_nano(from_timestamp(network.created()))}});
  if (quiet) {
    for (const auto& row : rows)
      std::cout << row.at("ID") << "\n";
    return;
  }
  std::cout << render_rows(format, "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", rows,
                           {{"ID", "NETWORK ID"}, {"CreatedAt", "CREATED AT"}});
}

// docker network inspect's shape (IPAM.Config, Containers, Options).
nlohmann::json inspect_json(const keel::v1::Network& network) {
  nlohmann::json containers = nlohmann::json::object();
  for (const auto& name : network.containers())
    containers[name] = {{"Name", name}};
  return {{"Name", network.name()},
          {"Id", network.id()},
          {"Created", rfc3339_nano(from_timestamp(network.created()))},
          {"Scope", "local"},
          {"Driver", network.driver()},
          {"EnableIPv6", false},
          {"IPAM",
           {{"Driver", "default"},
            {"Options", nlohmann::json::object()},
            {"Config", {{{"Subnet", network.subnet()}, {"Gateway", network.gateway()}}}}}},
          {"Internal", network.internal()},
          {"Attachable", false},
          {"Containers", containers},
          {"Options", {{"com.docker.network.bridge.name", network.bridge()}}},
          {"Labels", nlohmann::json(std::map<std::string, std::string>(network.labels().begin(),
                                                                       network.labels().end()))}};
}

void inspect(Client& client, const std::vector<std::string>& names, const std::string& format) {
  nlohmann::json all = nlohmann::json::array();
  std::string missing;
  for (const auto& name : names) {
    keel::v1::NetworkRequest request;
    request.set_id(name);
    keel::v1::Network network;
    rpc::ClientContext context;
    const auto status = api::Networks::NewStub(client.channel())->Get(&context, request, &network);
    if (status.error_code() == rpc::StatusCode::NOT_FOUND) {
      missing += (missing.empty() ? "" : "\n") + std::string("Error: No such network: ") + name;
      continue;
    }
    client.check(status);
    all.push_back(inspect_json(network));
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
  if (!missing.empty())
    throw CommandError(missing);
}

// Removes each; prints the names removed; one error line per name that could not be.
void remove(Client& client, const std::vector<std::string>& names) {
  std::string errors;
  for (const auto& name : names) {
    keel::v1::NetworkRequest request;
    request.set_id(name);
    keel::v1::Empty empty;
    rpc::ClientContext context;
    const auto status = api::Networks::NewStub(client.channel())->Remove(&context, request, &empty);
    if (status.ok())
      std::cout << name << "\n";
    else
      errors += (errors.empty() ? "" : "\n") + std::string("Error response from daemon: ") +
                status.error_message();
  }
  if (!errors.empty())
    throw CommandError(errors);
}

void prune(Client& client) {
  keel::v1::PruneNetworksResponse response;
  rpc::ClientContext context;
  client.check(api::Networks::NewStub(client.channel())
                   ->Prune(&context, keel::v1::PruneNetworksRequest(), &response));
  if (response.removed().empty())
    return;
  std::cout << "Deleted Networks:\n";
  for (const auto& name : response.removed())
    std::cout << name << "\n";
}

}  // namespace

void add_network(CLI::App& parent, Client& client, bool /*grouped*/) {
  auto* group = parent.add_subcommand("network", "Manage networks");
  group->require_subcommand(1);

  auto* create_cmd = group->add_subcommand("create", "Create a network");
  auto create_flags = std::make_shared<CreateFlags>();
  create_cmd->add_option("-d,--driver", create_flags->driver, "Driver to manage the Network")
      ->capture_default_str();
  create_cmd->add_option("--subnet", create_flags->subnet, "Subnet in CIDR format");
  create_cmd->add_option("--gateway", create_flags->gateway, "IPv4 Gateway for the subnet");
  create_cmd->add_flag("--internal", create_flags->internal,
                       "Restrict external access to the network");
  create_cmd->add_option("--label", create_flags->labels, "Set metadata on a network")
      ->allow_extra_args(false);
  create_cmd->add_option("name", create_flags->name, "NETWORK")->required();
  create_cmd->callback([=, &client] { create(client, *create_flags); });

  auto* ls_cmd = group->add_subcommand("ls", "List networks");
  ls_cmd->alias("list");
  auto quiet = std::make_shared<bool>(false);
  auto no_trunc = std::make_shared<bool>(false);
  auto ls_format = std::make_shared<std::string>();
  ls_cmd->add_flag("-q,--quiet", *quiet, "Only display network IDs");
  ls_cmd->add_flag("--no-trunc", *no_trunc, "Do not truncate the output");
  ls_cmd->add_option("--format", *ls_format, "Pretty-print networks using a Go template");
  ls_cmd->callback([=, &client] { list(client, *quiet, *no_trunc, *ls_format); });

  auto* inspect_cmd = group->add_subcommand("inspect", "Display detailed information on networks");
  auto inspect_names = std::make_shared<std::vector<std::string>>();
  auto inspect_format = std::make_shared<std::string>();
  inspect_cmd->add_option("-f,--format", *inspect_format, "Format the output using a template");
  inspect_cmd->add_option("network", *inspect_names, "NETWORK [NETWORK...]")->required();
  inspect_cmd->callback([=, &client] { inspect(client, *inspect_names, *inspect_format); });

  auto* rm_cmd = group->add_subcommand("rm", "Remove one or more networks");
  rm_cmd->alias("remove");
  auto rm_names = std::make_shared<std::vector<std::string>>();
  rm_cmd->add_option("network", *rm_names, "NETWORK [NETWORK...]")->required();
  rm_cmd->callback([=, &client] { remove(client, *rm_names); });

  auto* prune_cmd = group->add_subcommand("prune", "Remove all unused networks");
  auto force = std::make_shared<bool>(false);
  prune_cmd->add_flag("-f,--force", *force, "Do not prompt for confirmation");
  prune_cmd->callback([=, &client] { prune(client); });

  auto* connect_cmd = group->add_subcommand("connect", "Connect a container to a network");
  auto connect_network = std::make_shared<std::string>();
  auto connect_container = std::make_shared<std::string>();
  auto aliases = std::make_shared<std::vector<std::string>>();
  connect_cmd->add_option("--alias", *aliases, "Add network-scoped alias for the container");
  auto connect_ip = std::make_shared<std::string>();
  connect_cmd->add_option("--ip", *connect_ip, "IPv4 address (e.g., \"172.30.100.104\")");
  connect_cmd->add_option("network", *connect_network, "NETWORK")->required();
  connect_cmd->add_option("container", *connect_container, "CONTAINER")->required();
  connect_cmd->callback([=, &client] {
    connect(client, *connect_network, *connect_container, *aliases, *connect_ip);
  });

  auto* disconnect_cmd =
      group->add_subcommand("disconnect", "Disconnect a container from a network");
  auto disconnect_network = std::make_shared<std::string>();
  auto disconnect_container = std::make_shared<std::string>();
  auto force_disconnect = std::make_shared<bool>(false);
  disconnect_cmd->add_flag("-f,--force", *force_disconnect,
                           "Force the container to disconnect from a network");
  disconnect_cmd->add_option("network", *disconnect_network, "NETWORK")->required();
  disconnect_cmd->add_option("container", *disconnect_container, "CONTAINER")->required();
  disconnect_cmd->callback([=, &client] {
    disconnect(client, *disconnect_network, *disconnect_container, *force_disconnect);
  });
}

}  // namespace keel::ctl
