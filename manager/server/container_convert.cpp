#include "manager/server/container_convert.h"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include "manager/server/proto_time.h"

namespace keel::manager::server {
namespace {

google::protobuf::Timestamp from_ns(std::int64_t ns) {
  google::protobuf::Timestamp out;
  out.set_seconds(ns / 1'000'000'000);
  out.set_nanos(static_cast<int>(ns % 1'000'000'000));
  return out;
}

// The limits the spec holds now, which `update` may have changed since the client's config.
void resources_from_spec(const std::string& spec_json, keel::v1::Resources& out) {
  const auto spec = nlohmann::json::parse(spec_json, nullptr, false);
  if (spec.is_discarded())
    return;
  const auto resources = spec.value("/linux/resources"_json_pointer, nlohmann::json::object());
  if (auto limit = resources.value("/memory/limit"_json_pointer, std::int64_t{0}); limit > 0)
    out.set_memory(limit);
  const auto quota = resources.value("/cpu/quota"_json_pointer, std::int64_t{0});
  const auto period = resources.value("/cpu/period"_json_pointer, std::int64_t{0});
  if (quota > 0 && period > 0)
    out.set_milli_cpus(quota * 1000 / period);
  if (auto limit = resources.value("/pids/limit"_json_pointer, std::int64_t{0}); limit != 0)
    out.set_pids_limit(limit);
}

}  // namespace

Result<containers::CreateRequest> create_request(const keel::v1::ContainerConfig& config) {
  containers::CreateRequest request;
  if (config.image().empty())
    return Error::of(Errc::kInvalidArgument, "an image is required");
  request.image = config.image();
  request.name = config.name();
  auto& run = request.run;
  run.args.assign(config.cmd().begin(), config.cmd().end());
  if (config.entrypoint_set() || !config.entrypoint().empty())
    run.entrypoint =
        std::vector<std::string>(config.entrypoint().begin(), config.entrypoint().end());
  run.env.assign(config.env().begin(), config.env().end());
  run.workdir = config.working_dir();
  run.user = config.user();
  run.hostname = config.hostname();
  run.tty = config.tty();
  run.stdin_open = config.open_stdin();
  run.labels.insert(config.labels().begin(), config.labels().end());
  for (const auto& mount : config.mounts()) {
    if (mount.type() == "tmpfs") {
      containers::TmpfsSpec tmpfs;
      tmpfs.destination = mount.target();
      tmpfs.options.assign(mount.options().begin(), mount.options().end());
      run.tmpfs.push_back(std::move(tmpfs));
      continue;
    }
    if (mount.type() != "bind" && mount.type() != "volume")
      return Error::of(Errc::kInvalidArgument, "unknown mount type \"" + mount.type() + "\"");
    std::string text = mount.source() + ":" + mount.target();
    if (mount.read_only())
      text += ":ro";
    auto volume = containers::parse_volume(text);
    if (!volume)
      return std::move(volume).error();
    run.volumes.push_back(std::move(*volume));
  }
  run.read_only = config.read_only();
  if (config.has_resources()) {
    run.memory_bytes = config.resources().memory();
    run.cpus = static_cast<double>(config.resources().milli_cpus()) / 1000.0;
    if (config.resources().pids_limit() != 0)
      run.pids_limit = config.resources().pids_limit();
  }
  run.cap_add.assign(config.cap_add().begin(), config.cap_add().end());
  run.cap_drop.assign(config.cap_drop().begin(), config.cap_drop().end());
  run.privileged = config.privileged();
  run.no_new_privileges = config.no_new_privileges();
  auto network = containers::parse_network(config.network());
  if (!network)
    return std::move(network).error();
  run.network = network->mode;
  run.network_name = network->name;
  for (const auto& text : config.publish()) {
    auto ports = network::parse_publish(text);
    if (!ports)
      return std::move(ports).error();
    run.publish.insert(run.publish.end(), ports->begin(), ports->end());
  }
  run.publish_all = config.publish_all();
  run.network_aliases.assign(config.network_aliases().begin(), config.network_aliases().end());
  run.dns.servers.assign(config.dns().begin(), config.dns().end());
  run.dns.search.assign(config.dns_search().begin(), config.dns_search().end());
  run.dns.options.assign(config.dns_options().begin(), config.dns_options().end());
  run.extra_hosts.assign(config.extra_hosts().begin(), config.extra_hosts().end());
  run.ip = config.ip();
  run.mac_address = config.mac_address();
  if (config.has_restart_policy() && !config.restart_policy().name().empty()) {
    std::string policy = config.restart_policy().name();
    if (config.restart_policy().maximum_retry_count() > 0)
      policy += ":" + std::to_string(config.restart_policy().maximum_retry_count());
    auto parsed = containers::parse_restart_policy(policy);
    if (!parsed)
      return std::move(parsed).error();
    request.restart = *parsed;
  }
  request.auto_remove = config.auto_remove();
  request.stop_signal = config.stop_signal();
  request.stop_timeout = config.stop_timeout() > 0 ? config.stop_timeout() : 10;
  // Kept as JSON: the record is a JSON document, and inspect shows what the client asked for.
  if (!google::protobuf::util::MessageToJsonString(config, &request.config).ok())
    return Error::of(Errc::kInvalidArgument, "the container config cannot be stored");
  return request;
}

keel::v1::Container to_proto(const containers::ContainerRecord& record,
                             std::chrono::system_clock::time_point now) {
  keel::v1::Container out;
  out.set_id(record.id);
  out.set_name(record.name);
  out.set_image(record.image);
  out.set_image_id(record.image_id);
  (void)google::protobuf::util::JsonStringToMessage(record.config, out.mutable_config());
  auto* state = out.mutable_state();
  state->set_status(containers::status_name(record.state.status));
  state->set_pid(record.state.pid);
  state->set_exit_code(record.state.exit_code);
  state->set_oom_killed(record.state.oom_killed);
  if (record.state.started_ns > 0)
    *state->mutable_started_at() = from_ns(record.state.started_ns);
  if (record.state.finished_ns > 0)
    *state->mutable_finished_at() = from_ns(record.state.finished_ns);
  state->set_restart_count(record.state.restart_count);
  state->set_error(record.state.error);
  *out.mutable_created() = from_ns(record.created_ns);
  out.set_spec_json(record.spec_json);  // empty unless the record was inspected
  out.set_snapshot_key(record.snapshot_key);
  out.set_log_path(record.log_path);
  out.set_status_text(containers::status_text(record, now));
  std::string command;
  for (const auto& arg : record.command)
    command += (command.empty() ? "" : " ") + arg;
  out.set_command(command);
  auto* settings = out.mutable_network_settings();
  settings->set_network(record.network_mode);
  const auto& ports = record.attachment ? record.attachment->ports : record.ports;
  for (const auto& port : ports) {
    auto* binding = settings->add_ports();
    binding->set_host_ip(port.host_ip);
    binding->set_host_port(port.host_port);
    binding->set_container_port(port.container_port);
    binding->set_protocol(port.protocol);
  }
  settings->set_network_disconnected(record.network_disconnected);
  if (const auto& a = record.attachment) {
    settings->set_network_id(a->network_id);
    settings->set_ip_address(a->ip_address());
    settings->set_ip_prefix_len(a->prefix_length());
    settings->set_gateway(a->gateway());
    settings->set_mac_address(a->mac_address());
    settings->set_sandbox_key(a->netns);
  }
  for (const auto& alias : record.network_aliases)
    settings->add_aliases(alias);
  for (const auto& connection : record.connected) {
    auto* endpoint = settings->add_connected();
    endpoint->set_network(connection.network);
    for (const auto& alias : connection.aliases)
      endpoint->add_aliases(alias);
    for (const auto& a : record.connected_attachments) {
      if (a.network != connection.network)
        continue;
      endpoint->set_network_id(a.network_id);
      endpoint->set_ip_address(a.ip_address());
      endpoint->set_ip_prefix_len(a.prefix_length());
      endpoint->set_gateway(a.gateway());
      endpoint->set_mac_address(a.mac_address());
      endpoint->set_interface(a.ifname);
    }
  }
  // What the container really runs with, whatever the client sent.
  auto* config = out.mutable_config();
  config->set_name(record.name);
  config->set_image(record.image);
  config->mutable_restart_policy()->set_name(record.restart.name);
  config->mutable_restart_policy()->set_maximum_retry_count(record.restart.max_retries);
  config->set_auto_remove(record.auto_remove);
  if (!record.spec_json.empty())
    resources_from_spec(record.spec_json, *config->mutable_resources());
  return out;
}

}  // namespace keel::manager::server
