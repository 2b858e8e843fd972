#include "ctl/container_json.h"

#include "ctl/format.h"
#include "ctl/timestamps.h"

namespace keel::ctl {
namespace {

using nlohmann::json;

// Go's zero time, which docker prints for times not yet reached.
constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";

std::string time_text(const Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0)
    return kZeroTime;
  return rfc3339_nano(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(t.seconds()) + std::chrono::nanoseconds(t.nanos()))));
}

// docker prints null for an unset list.
template <class List>
json list_or_null(const List& items) {
  if (items.empty())
    return nullptr;
  json out = json::array();
  for (const auto& item : items)
    out.push_back(item);
  return out;
}

json state_json(const keel::v1::ContainerState& state) {
  const std::string& status = state.status();
  return json{{"Status", status},
              {"Running", status == "running" || status == "paused"},
              {"Paused", status == "paused"},
              {"Restarting", status == "restarting"},
              {"OOMKilled", state.oom_killed()},
              {"Dead", status == "dead"},
              {"Pid", state.pid()},
              {"ExitCode", state.exit_code()},
              {"Error", state.error()},
              {"StartedAt", time_text(state.started_at())},
              {"FinishedAt", time_text(state.finished_at())}};
}

// The spec's mount source for a target, for volumes whose host path keeld chose.
std::string spec_source(const json& spec, const std::string& target) {
  if (!spec.contains("mounts") || !spec["mounts"].is_array())
    return "";
  for (const auto& mount : spec["mounts"])
    if (mount.value("destination", "") == target)
      return mount.value("source", "");
  return "";
}

// The container's mounts as docker's inspect shows them three ways: HostConfig.Binds, Mounts,
// and HostConfig.Tmpfs.
struct MountViews {
  json binds = json::array();
  json mounts = json::array();
  json tmpfs = json::object();
};

MountViews mount_views(const keel::v1::ContainerConfig& config, const json& spec) {
  MountViews v;
  for (const auto& mount : config.mounts()) {
    std::string options;
    for (const auto& option : mount.options())
      options += (options.empty() ? "" : ",") + option;
    if (mount.type() == "tmpfs") {
      v.tmpfs[mount.target()] = options;
      continue;
    }
    std::string mode = mount.read_only() ? "ro" : "";
    for (const auto& option : mount.options())
      if (option == "z" || option == "Z")
        mode += (mode.empty() ? "" : ",") + option;
    if (!mount.source().empty())
      v.binds.push_back(mount.source() + ":" + mount.target() + (mode.empty() ? "" : ":" + mode));
    std::string propagation = mount.type() == "bind" ? "rprivate" : "";
    for (const auto& option : mount.options())
      if (option.find("private") != std::string::npos ||
          option.find("shared") != std::string::npos || option.find("slave") != std::string::npos)
        propagation = option;
    json entry = {{"Type", mount.type()}};
    if (mount.type() == "volume") {
      entry["Name"] = mount.source();
      entry["Source"] = spec_source(spec, mount.target());
      entry["Driver"] = "local";
    } else {
      entry["Source"] = mount.source();
    }
    entry["Destination"] = mount.target();
    entry["Mode"] = mode;
    entry["RW"] = !mount.read_only();
    entry["Propagation"] = propagation;
    v.mounts.push_back(entry);
  }
  return v;
}

// docker's network views of a container: HostConfig.NetworkMode and PortBindings (as asked),
// and NetworkSettings (Ports as held, the endpoint per network).
struct NetworkViews {
  std::string mode;
  json port_bindings;
  json settings;
};

// docker shows null for no aliases.
json aliases_json(const google::protobuf::RepeatedPtrField<std::string>& aliases) {
  if (aliases.empty())
    return nullptr;
  return json(std::vector<std::string>(aliases.begin(), aliases.end()));
}

NetworkViews network_views(const keel::v1::Container& container) {
  const auto& config = container.config();
  const auto& settings = container.network_settings();
  const std::string network = !settings.network().empty() ? settings.network()
                              : config.network().empty()  ? "bridge"
                                                          : config.network();
  // docker's shapes: HostConfig.PortBindings as asked, NetworkSettings.Ports as held.
  json port_bindings = json::object();
  json ports = json::object();
  for (const auto& port : settings.ports()) {
    const std::string key = std::to_string(port.container_port()) + "/" + port.protocol();
    const json binding = {{"HostIp", port.host_ip().empty() ? "0.0.0.0" : port.host_ip()},
                          {"HostPort", std::to_string(port.host_port())}};
    port_bindings[key].push_back(binding);
    if (!settings.ip_address().empty())
      ports[key].push_back(binding);
  }
  json endpoint = {
      {"NetworkID", settings.network_id()},   {"Gateway", settings.gateway()},
      {"IPAddress", settings.ip_address()},   {"IPPrefixLen", settings.ip_prefix_len()},
      {"MacAddress", settings.mac_address()}, {"Aliases", aliases_json(settings.aliases())}};
  // docker shows null unless --ip asked for an address.
  endpoint["IPAMConfig"] = config.ip().empty() ? json(nullptr) : json{{"IPv4Address", config.ip()}};
  // The top-level address fields are the default network's only, as in docker.
  const bool on_default = network == "bridge";
  json network_settings = {
      {"Bridge", ""},
      {"SandboxKey", settings.sandbox_key()},
      {"Ports", ports},
      {"Gateway", on_default ? settings.gateway() : ""},
      {"IPAddress", on_default ? settings.ip_address() : ""},
      {"IPPrefixLen", on_default ? settings.ip_prefix_len() : 0},
      {"MacAddress", on_default ? settings.mac_address() : ""},
      {"Networks", json::object()},
  };
  if (!network.starts_with("container:") && !settings.network_disconnected())
    network_settings["Networks"][network] = endpoint;
  for (const auto& other : settings.connected())
    network_settings["Networks"][other.network()] = {
        {"NetworkID", other.network_id()},   {"Gateway", other.gateway()},
        {"IPAddress", other.ip_address()},   {"IPPrefixLen", other.ip_prefix_len()},
        {"MacAddress", other.mac_address()}, {"Aliases", aliases_json(other.aliases())}};
  return {network, std::move(port_bindings), std::move(network_settings)};
}

// HostConfig's --dns, --dns-search, --dns-option (lists, empty ones too) and --add-host (null
// when none), as docker shows them.
void add_resolver_fields(const keel::v1::ContainerConfig& config, json& host_config) {
  const auto list = [](const auto& items) {
    return json(std::vector<std::string>(items.begin(), items.end()));
  };
  host_config["Dns"] = list(config.dns());
  host_config["DnsSearch"] = list(config.dns_search());
  host_config["DnsOptions"] = list(config.dns_options());
  host_config["ExtraHosts"] = list_or_null(config.extra_hosts());
}

}  // namespace

json container_inspect_json(const keel::v1::Container& container) {
  const auto& config = container.config();
  json spec = json::parse(container.spec_json(), nullptr, false);
  if (spec.is_discarded() || !spec.is_object())
    spec = json::object();
  const json process = spec.value("process", json::object());

  // Path and Args: what the container's init runs.
  std::vector<std::string> argv;
  if (process.contains("args") && process["args"].is_array())
    for (const auto& arg : process["args"])
      if (arg.is_string())
        argv.push_back(arg.get<std::string>());
  if (argv.empty()) {
    argv.assign(config.entrypoint().begin(), config.entrypoint().end());
    argv.insert(argv.end(), config.cmd().begin(), config.cmd().end());
  }
  json args = json::array();
  for (std::size_t i = 1; i < argv.size(); ++i)
    args.push_back(argv[i]);

  json env = json::array();
  if (process.contains("env") && process["env"].is_array())
    env = process["env"];
  else
    for (const auto& item : config.env())
      env.push_back(item);

  std::string hostname = spec.value("hostname", config.hostname());
  if (hostname.empty())
    hostname = container.id().substr(0, 12);

  const MountViews views = mount_views(config, spec);
  const json& binds = views.binds;
  const json& mounts = views.mounts;
  const json& tmpfs = views.tmpfs;

  json labels = json::object();
  for (const auto& [key, value] : config.labels())
    labels[key] = value;

  json security = json::array();
  if (config.no_new_privileges())
    security.push_back("no-new-privileges");

  const auto& resources = config.resources();
  json pids_limit = nullptr;
  if (resources.pids_limit() != 0)
    pids_limit = resources.pids_limit();
  std::string name = container.name();
  if (!name.starts_with("/"))
    name = "/" + name;
  const NetworkViews net = network_views(container);
  const std::string& network = net.mode;

  json host_config = {
      {"Binds", binds.empty() ? json(nullptr) : binds},
      {"NetworkMode", network},
      {"PortBindings", net.port_bindings},
      {"RestartPolicy",
       {{"Name", config.restart_policy().name().empty() ? "no" : config.restart_policy().name()},
        {"MaximumRetryCount", config.restart_policy().maximum_retry_count()}}},
      {"AutoRemove", config.auto_remove()},
      {"CapAdd", list_or_null(config.cap_add())},
      {"CapDrop", list_or_null(config.cap_drop())},
      {"Privileged", config.privileged()},
      {"ReadonlyRootfs", config.read_only()},
      {"SecurityOpt", security.empty() ? json(nullptr) : security},
      {"Tmpfs", tmpfs.empty() ? json(nullptr) : tmpfs},
      {"Memory", resources.memory()},
      {"NanoCpus", resources.milli_cpus() * 1'000'000},
      {"PidsLimit", pids_limit},
  };
  add_resolver_fields(config, host_config);
  json cfg = {
      {"Hostname", hostname},
      {"Domainname", ""},
      {"User", config.user()},
      {"AttachStdin", false},
      {"AttachStdout", false},
      {"AttachStderr", false},
      {"Tty", config.tty()},
      {"OpenStdin", config.open_stdin()},
      {"StdinOnce", false},
      {"Env", env},
      {"Cmd", list_or_null(config.cmd())},
      {"Image", config.image().empty() ? container.image() : config.image()},
      {"Volumes", nullptr},
      {"WorkingDir",
       config.working_dir().empty() ? process.value("cwd", "") : config.working_dir()},
      {"Entrypoint", list_or_null(config.entrypoint())},
      {"Labels", labels},
  };
  if (!config.mac_address().empty())
    cfg["MacAddress"] = config.mac_address();
  if (!config.stop_signal().empty())
    cfg["StopSignal"] = config.stop_signal();
  if (config.stop_timeout() != 0)
    cfg["StopTimeout"] = config.stop_timeout();

  return json{
      {"Id", container.id()},
      {"Created", time_text(container.created())},
      {"Path", argv.empty() ? std::string() : argv[0]},
      {"Args", args},
      {"State", state_json(container.state())},
      {"Image", container.image_id()},
      {"LogPath", container.log_path()},
      {"Name", name},
      {"RestartCount", container.state().restart_count()},
      {"Driver", "overlay"},
      {"Platform", "linux"},
      {"HostConfig", host_config},
      {"Mounts", mounts},
      {"Config", cfg},
      {"NetworkSettings", net.settings},
  };
}

}  // namespace keel::ctl
