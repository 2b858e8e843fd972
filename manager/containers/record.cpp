#include "manager/containers/record.h"

#include <fcntl.h>
#include <sys/random.h>

#include <array>
#include <cstdio>

#include "common/human_duration.h"

namespace keel::manager::containers {

const char* status_name(Status status) noexcept {
  switch (status) {
    case Status::kCreated:
      return "created";
    case Status::kRunning:
      return "running";
    case Status::kPaused:
      return "paused";
    case Status::kRestarting:
      return "restarting";
    case Status::kExited:
      return "exited";
    case Status::kRemoving:
      return "removing";
    case Status::kDead:
      return "dead";
  }
  return "unknown";
}

Result<Status> parse_status(std::string_view name) {
  for (Status s : {Status::kCreated, Status::kRunning, Status::kPaused, Status::kRestarting,
                   Status::kExited, Status::kRemoving, Status::kDead})
    if (name == status_name(s))
      return s;
  return Error::of(Errc::kInvalidArgument,
                   "unknown container status \"" + std::string(name) + "\"");
}

Result<RestartPolicy> parse_restart_policy(std::string_view text) {
  RestartPolicy policy;
  const auto colon = text.find(':');
  policy.name = std::string(text.substr(0, colon));
  if (policy.name.empty())
    policy.name = "no";
  if (policy.name != "no" && policy.name != "always" && policy.name != "unless-stopped" &&
      policy.name != "on-failure")
    return Error::of(Errc::kInvalidArgument,
                     "invalid restart policy \"" + std::string(text) +
                         "\": use no, always, unless-stopped or on-failure[:max-retries]");
  if (colon != std::string_view::npos) {
    if (policy.name != "on-failure")
      return Error::of(Errc::kInvalidArgument,
                       "maximum retry count cannot be used with restart "
                       "policy '" +
                           policy.name + "'");
    const std::string count(text.substr(colon + 1));
    try {
      std::size_t used = 0;
      policy.max_retries = std::stoi(count, &used);
      if (used != count.size() || policy.max_retries < 0)
        throw std::invalid_argument(count);
    } catch (const std::exception&) {
      return Error::of(Errc::kInvalidArgument,
                       "invalid restart policy maximum retry count \"" + count + "\"");
    }
  }
  return policy;
}

nlohmann::json to_json(const ContainerRecord& r) {
  nlohmann::json ports = nlohmann::json::array();
  for (const auto& port : r.ports)
    ports.push_back(network::to_json(port));
  nlohmann::json net = {{"mode", r.network_mode}, {"ports", ports}};
  if (r.attachment)
    net["attachment"] = network::to_json(*r.attachment);
  net["aliases"] = r.network_aliases;
  net["dns"] = {{"servers", r.dns.servers}, {"search", r.dns.search}, {"options", r.dns.options}};
  nlohmann::json extra_hosts = nlohmann::json::array();
  for (const auto& entry : r.extra_hosts)
    extra_hosts.push_back({{"address", entry.address}, {"names", entry.names}});
  net["extra_hosts"] = std::move(extra_hosts);
  net["ip"] = r.ip;
  net["mac_address"] = r.mac_address;
  nlohmann::json connected = nlohmann::json::array();
  for (const auto& connection : r.connected)
    connected.push_back(
        {{"network", connection.network}, {"aliases", connection.aliases}, {"ip", connection.ip}});
  net["connected"] = std::move(connected);
  nlohmann::json connected_attachments = nlohmann::json::array();
  for (const auto& attachment : r.connected_attachments)
    connected_attachments.push_back(network::to_json(attachment));
  net["connected_attachments"] = std::move(connected_attachments);
  net["disconnected"] = r.network_disconnected;
  return nlohmann::json{
      {"id", r.id},
      {"name", r.name},
      {"image", r.image},
      {"image_id", r.image_id},
      {"config", r.config},
      {"snapshot_key", r.snapshot_key},
      {"bundle", r.bundle},
      {"log_path", r.log_path},
      {"shim_address", r.shim_address},
      {"cgroups_path", r.cgroups_path},
      {"command", r.command},
      {"labels", r.labels},
      {"restart", {{"name", r.restart.name}, {"max_retries", r.restart.max_retries}}},
      {"auto_remove", r.auto_remove},
      {"tty", r.tty},
      {"open_stdin", r.open_stdin},
      {"stop_signal", r.stop_signal},
      {"stop_timeout", r.stop_timeout},
      {"anonymous_volumes", r.anonymous_volumes},
      {"created_ns", r.created_ns},
      {"hostname", r.hostname},
      {"network", net},
      {"state",
       {{"status", status_name(r.state.status)},
        {"pid", r.state.pid},
        {"exit_code", r.state.exit_code},
        {"oom_killed", r.state.oom_killed},
        {"started_ns", r.state.started_ns},
        {"finished_ns", r.state.finished_ns},
        {"restart_count", r.state.restart_count},
        {"error", r.state.error},
        {"stopped_by_user", r.state.stopped_by_user}}},
  };
}

Result<ContainerRecord> record_from_json(const nlohmann::json& j) {
  try {
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.name = j.at("name").get<std::string>();
    r.image = j.value("image", "");
    r.image_id = j.value("image_id", "");
    r.config = j.value("config", "");
    r.snapshot_key = j.value("snapshot_key", "");
    r.bundle = j.value("bundle", "");
    r.log_path = j.value("log_path", "");
    r.shim_address = j.value("shim_address", "");
    r.cgroups_path = j.value("cgroups_path", "");
    r.command = j.value("command", std::vector<std::string>{});
    r.labels = j.value("labels", std::map<std::string, std::string>{});
    if (j.contains("restart")) {
      r.restart.name = j["restart"].value("name", "no");
      r.restart.max_retries = j["restart"].value("max_retries", 0);
    }
    r.auto_remove = j.value("auto_remove", false);
    r.tty = j.value("tty", false);
    r.open_stdin = j.value("open_stdin", false);
    r.stop_signal = j.value("stop_signal", 15);
    r.stop_timeout = j.value("stop_timeout", 10);
    r.anonymous_volumes = j.value("anonymous_volumes", std::vector<std::string>{});
    r.created_ns = j.value("created_ns", std::int64_t{0});
    r.hostname = j.value("hostname", "");
    // Records older than networking had no namespace of their own made by keeld: "none".
    const auto net = j.value("network", nlohmann::json::object());
    r.network_mode = net.value("mode", "none");
    for (const auto& port : net.value("ports", nlohmann::json::array())) {
      auto parsed = network::port_mapping_from_json(port);
      if (!parsed)
        return std::move(parsed).error();
      r.ports.push_back(*parsed);
    }
    if (net.contains("attachment")) {
      auto attachment = network::attachment_from_json(net["attachment"]);
      if (!attachment)
        return std::move(attachment).error();
      r.attachment = std::move(*attachment);
    }
    r.network_aliases = net.value("aliases", std::vector<std::string>{});
    const auto dns = net.value("dns", nlohmann::json::object());
    r.dns.servers = dns.value("servers", std::vector<std::string>{});
    r.dns.search = dns.value("search", std::vector<std::string>{});
    r.dns.options = dns.value("options", std::vector<std::string>{});
    for (const auto& entry : net.value("extra_hosts", nlohmann::json::array()))
      r.extra_hosts.push_back({.address = entry.value("address", ""),
                               .names = entry.value("names", std::vector<std::string>{})});
    r.ip = net.value("ip", "");
    r.mac_address = net.value("mac_address", "");
    for (const auto& connection : net.value("connected", nlohmann::json::array()))
      r.connected.push_back({.network = connection.value("network", ""),
                             .aliases = connection.value("aliases", std::vector<std::string>{}),
                             .ip = connection.value("ip", "")});
    for (const auto& json : net.value("connected_attachments", nlohmann::json::array())) {
      auto attachment = network::attachment_from_json(json);
      if (!attachment)
        return std::move(attachment).error();
      r.connected_attachments.push_back(std::move(*attachment));
    }
    r.network_disconnected = net.value("disconnected", false);
    const auto& s = j.at("state");
    auto status = parse_status(s.value("status", "created"));
    if (!status)
      return std::move(status).error();
    r.state.status = *status;
    r.state.pid = s.value("pid", 0);
    r.state.exit_code = s.value("exit_code", 0);
    r.state.oom_killed = s.value("oom_killed", false);
    r.state.started_ns = s.value("started_ns", std::int64_t{0});
    r.state.finished_ns = s.value("finished_ns", std::int64_t{0});
    r.state.restart_count = s.value("restart_count", 0);
    r.state.error = s.value("error", "");
    r.state.stopped_by_user = s.value("stopped_by_user", false);
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Error::of(Errc::kInternal, std::string("container record: ") + e.what());
  }
}

std::string status_text(const ContainerRecord& r, std::chrono::system_clock::time_point now) {
  auto since = [&](std::int64_t ns) {
    const auto then = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::nanoseconds(ns)));
    return human_duration(now - then);
  };
  switch (r.state.status) {
    case Status::kCreated:
      return "Created";
    case Status::kRunning:
      return "Up " + since(r.state.started_ns);
    case Status::kPaused:
      return "Up " + since(r.state.started_ns) + " (Paused)";
    case Status::kRestarting:
      return "Restarting (" + std::to_string(r.state.exit_code) + ") " +
             since(r.state.finished_ns) + " ago";
    case Status::kExited:
      return "Exited (" + std::to_string(r.state.exit_code) + ") " + since(r.state.finished_ns) +
             " ago";
    case Status::kRemoving:
      return "Removal In Progress";
    case Status::kDead:
      return "Dead";
  }
  return "";
}

std::string new_container_id() {
  std::array<unsigned char, 32> bytes{};
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
    if (n > 0)
      got += static_cast<std::size_t>(n);
  }
  std::string id;
  char hex[3];
  for (unsigned char b : bytes) {
    std::snprintf(hex, sizeof hex, "%02x", b);
    id += hex;
  }
  return id;
}

std::string random_name(unsigned attempt) {
  static constexpr const char* kLeft[] = {
      "admiring", "agitated",    "brave",    "busy",     "clever",  "cool",   "eager",
      "elegant",  "epic",        "focused",  "friendly", "gallant", "gifted", "happy",
      "jolly",    "keen",        "kind",     "loving",   "modest",  "nifty",  "peaceful",
      "quirky",   "relaxed",     "serene",   "sharp",    "stoic",   "tender", "vibrant",
      "wizardly", "xenodochial", "youthful", "zealous"};
  static constexpr const char* kRight[] = {
      "archimedes", "babbage",  "curie",    "darwin",  "einstein", "euler",     "fermat",
      "galileo",    "hopper",   "hypatia",  "johnson", "kepler",   "knuth",     "lamport",
      "lovelace",   "meitner",  "newton",   "noether", "pascal",   "ramanujan", "ritchie",
      "shannon",    "thompson", "torvalds", "turing",  "wozniak",  "yalow",     "zhukovsky"};
  std::array<unsigned char, 6> r{};
  while (::getrandom(r.data(), r.size(), 0) != static_cast<ssize_t>(r.size())) {
  }
  std::string name =
      std::string(kLeft[r[0] % std::size(kLeft)]) + "_" + kRight[r[1] % std::size(kRight)];
  if (attempt > 0) {
    std::uint32_t bound = 1;
    for (unsigned i = 0; i < attempt && bound < 100000000; ++i)
      bound *= 10;
    const std::uint32_t n =
        (std::uint32_t{r[2]} << 24 | std::uint32_t{r[3]} << 16 | std::uint32_t{r[4]} << 8 | r[5]) %
        bound;
    name += std::to_string(n);
  }
  return name;
}

Result<std::string> validate_name(std::string_view name) {
  if (name.starts_with('/'))
    name.remove_prefix(1);
  auto ok_first = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  auto ok_rest = [&](char c) { return ok_first(c) || c == '_' || c == '.' || c == '-'; };
  bool valid = name.size() >= 2 && ok_first(name[0]);
  for (std::size_t i = 1; valid && i < name.size(); ++i)
    valid = ok_rest(name[i]);
  if (!valid)
    return Error::of(Errc::kInvalidArgument, "Invalid container name (" + std::string(name) +
                                                 "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  return std::string(name);
}

}  // namespace keel::manager::containers
