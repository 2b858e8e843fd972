#include "ctl/container_config.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "ctl/client.h"

namespace keel::ctl {
namespace {

[[noreturn]] void flag_error(const std::string& message) {
  throw CommandError(message, 125);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos)
      return parts;
    start = at + 1;
  }
}

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_volume_name(const std::string& name) {
  if (name.size() < 2 || !std::isalnum(static_cast<unsigned char>(name[0])))
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return false;
  return true;
}

}  // namespace

std::int64_t parse_memory(const std::string& text, const std::string& flag) {
  auto fail = [&]() -> std::int64_t {
    flag_error("invalid argument \"" + text + "\" for \"" + flag + "\" flag: invalid size: '" +
               text + "'");
  };
  std::size_t pos = 0;
  while (pos < text.size() &&
         (std::isdigit(static_cast<unsigned char>(text[pos])) || (text[pos] == '.' && pos > 0)))
    ++pos;
  if (pos == 0)
    return fail();
  double value = 0;
  try {
    value = std::stod(text.substr(0, pos));
  } catch (const std::exception&) {
    return fail();
  }
  std::string unit = lower(text.substr(pos));
  if (!unit.empty() && unit.front() == ' ')
    unit.erase(0, 1);
  if (unit.ends_with("b"))
    unit.pop_back();
  if (unit.size() == 2 && unit.back() == 'i')
    unit.pop_back();
  double scale = 1;
  if (unit.empty())
    scale = 1;
  else if (unit == "k")
    scale = 1024.0;
  else if (unit == "m")
    scale = 1024.0 * 1024;
  else if (unit == "g")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    scale = 1024.0 * 1024 * 1024 * 1024;
  else if (unit == "p")
    scale = 1024.0 * 1024 * 1024 * 1024 * 1024;
  else
    return fail();
  return static_cast<std::int64_t>(value * scale);
}

std::int64_t parse_cpus(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end == nullptr || *end != '\0' || !std::isfinite(value))
    flag_error("invalid argument \"" + text + "\" for \"--cpus\" flag: failed to parse " + text +
               " as a rational number");
  if (value < 0)
    flag_error("invalid argument \"" + text + "\" for \"--cpus\" flag: range of CPUs is from " +
               "0.01 to the number of CPUs available");
  return std::llround(value * 1000.0);
}

keel::v1::RestartPolicy parse_restart_policy(const std::string& text) {
  keel::v1::RestartPolicy policy;
  if (text.empty()) {
    policy.set_name("no");
    return policy;
  }
  const auto parts = split(text, ':');
  if (parts.size() > 2)
    flag_error("invalid restart policy format: " + text);
  const std::string& name = parts[0];
  if (name != "no" && name != "always" && name != "unless-stopped" && name != "on-failure")
    flag_error("invalid restart policy format: invalid restart policy '" + name + "'");
  policy.set_name(name);
  if (parts.size() == 2) {
    if (name != "on-failure")
      flag_error(
          "invalid restart policy format: maximum retry count can only be used with "
          "'on-failure'");
    const std::string& count = parts[1];
    if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos)
      flag_error("invalid restart policy format: maximum retry count must be an integer");
    policy.set_maximum_retry_count(std::stoi(count));
  }
  return policy;
}

keel::v1::VolumeMount parse_volume(const std::string& spec, const std::string& cwd) {
  auto fail = [&](const std::string& why) -> keel::v1::VolumeMount {
    flag_error("invalid volume specification: '" + spec + "'" + (why.empty() ? "" : ": " + why));
  };
  const auto parts = split(spec, ':');
  if (spec.empty() || parts.size() > 3)
    return fail("");
  keel::v1::VolumeMount mount;
  std::string source;
  std::string target;
  std::string options;
  if (parts.size() == 1) {
    target = parts[0];
  } else if (parts.size() == 2 && !parts[1].empty() && parts[1].front() != '/') {
    // "/ctr:ro": an anonymous volume with options.
    target = parts[0];
    options = parts[1];
  } else {
    source = parts[0];
    target = parts[1];
    if (parts.size() == 3)
      options = parts[2];
  }
  if (target.empty() || target.front() != '/')
    return fail("invalid mount config: mount path must be absolute");
  if (target == "/")
    return fail("invalid mount config: destination can't be '/'");
  if (source.empty() && parts.size() > 1 && parts[0].empty())
    return fail("empty section between colons");
  if (!source.empty() && source.front() == '.')
    source = (std::filesystem::path(cwd) / source).lexically_normal().string();
  if (source.size() > 1 && source.back() == '/')
    source.pop_back();
  if (source.empty() || source.front() == '/') {
    mount.set_type(source.empty() ? "volume" : "bind");
  } else {
    if (!is_volume_name(source))
      return fail("\"" + source +
                  "\" includes invalid characters for a local volume name, only "
                  "\"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host "
                  "directory, use absolute path");
    mount.set_type("volume");
  }
  mount.set_source(source);
  mount.set_target(target);
  if (!options.empty()) {
    bool mode_seen = false;
    for (const auto& option : split(options, ',')) {
      if (option == "ro" || option == "rw") {
        if (mode_seen)
          return fail("duplicate mode");
        mode_seen = true;
        mount.set_read_only(option == "ro");
        continue;
      }
      static constexpr const char* kKnown[] = {"z",        "Z",          "nocopy",  "private",
                                               "rprivate", "shared",     "rshared", "slave",
                                               "rslave",   "consistent", "cached",  "delegated"};
      if (std::find(std::begin(kKnown), std::end(kKnown), option) == std::end(kKnown))
        return fail("invalid mode: " + option);
      mount.add_options(option);
    }
  }
  return mount;
}

keel::v1::VolumeMount parse_tmpfs(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string target = spec.substr(0, colon);
  if (target.empty() || target.front() != '/')
    flag_error("invalid tmpfs specification: '" + spec + "': mount path must be absolute");
  keel::v1::VolumeMount mount;
  mount.set_type("tmpfs");
  mount.set_target(target);
  if (colon != std::string::npos)
    for (const auto& option : split(spec.substr(colon + 1), ',')) {
      if (option.empty())
        continue;
      if (option == "ro")
        mount.set_read_only(true);
      mount.add_options(option);
    }
  return mount;
}

std::optional<std::string> parse_env(const std::string& item, const EnvLookup& lookup) {
  const auto eq = item.find('=');
  if (eq == 0)
    flag_error("invalid environment variable: " + item);
  if (eq != std::string::npos)
    return item;
  if (auto value = lookup(item))
    return item + "=" + *value;
  return std::nullopt;
}

std::vector<std::string> parse_env_file(const std::string& text, const EnvLookup& lookup) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    const auto first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#')
      continue;
    line.erase(0, first);
    const auto eq = line.find('=');
    const std::string name = line.substr(0, eq);
    if (name.empty())
      flag_error("invalid environment variable: " + line);
    if (name.find_first_of(" \t") != std::string::npos)
      flag_error("variable '" + name + "' contains whitespaces");
    if (eq != std::string::npos)
      out.push_back(line);
    else if (auto value = lookup(name))
      out.push_back(name + "=" + *value);
  }
  return out;
}

keel::v1::ContainerConfig build_container_config(
    const RunFlags& flags, const EnvLookup& lookup,
    const std::function<std::string(const std::string&)>& read_file, const std::string& cwd) {
  if (flags.args.empty())
    flag_error("\"run\" requires at least 1 argument");
  keel::v1::ContainerConfig config;
  config.set_image(flags.args[0]);
  for (std::size_t i = 1; i < flags.args.size(); ++i)
    config.add_cmd(flags.args[i]);
  config.set_name(flags.name);
  if (flags.entrypoint) {
    config.set_entrypoint_set(true);
    if (!flags.entrypoint->empty())
      config.add_entrypoint(*flags.entrypoint);
  }
  // docker: --env-file first, then -e, so -e wins.
  for (const auto& file : flags.env_files)
    for (auto& item : parse_env_file(read_file(file), lookup))
      config.add_env(std::move(item));
  for (const auto& item : flags.env)
    if (auto value = parse_env(item, lookup))
      config.add_env(std::move(*value));
  config.set_working_dir(flags.working_dir);
  if (!flags.working_dir.empty() && flags.working_dir.front() != '/')
    flag_error("the working directory '" + flags.working_dir +
               "' is invalid, it needs to be an "
               "absolute path");
  config.set_user(flags.user);
  config.set_hostname(flags.hostname);
  for (const auto& volume : flags.volumes)
    *config.add_mounts() = parse_volume(volume, cwd);
  for (const auto& tmpfs : flags.tmpfs)
    *config.add_mounts() = parse_tmpfs(tmpfs);
  auto* resources = config.mutable_resources();
  if (!flags.memory.empty())
    resources->set_memory(parse_memory(flags.memory, "-m, --memory"));
  if (!flags.cpus.empty())
    resources->set_milli_cpus(parse_cpus(flags.cpus));
  if (flags.pids_limit < -1)
    flag_error("invalid argument \"" + std::to_string(flags.pids_limit) +
               "\" for \"--pids-limit\" flag");
  resources->set_pids_limit(flags.pids_limit);
  config.set_read_only(flags.read_only);
  for (const auto& cap : flags.cap_add)
    config.add_cap_add(cap);
  for (const auto& cap : flags.cap_drop)
    config.add_cap_drop(cap);
  config.set_privileged(flags.privileged);
  config.set_network(flags.network);
  for (const auto& alias : flags.network_aliases)
    config.add_network_aliases(alias);
  // Checked by keeld, which knows the network (--ip's subnet, host-gateway).
  for (const auto& server : flags.dns)
    config.add_dns(server);
  for (const auto& domain : flags.dns_search)
    config.add_dns_search(domain);
  for (const auto& option : flags.dns_options)
    config.add_dns_options(option);
  for (const auto& host : flags.extra_hosts) {
    // docker's CLI refuses this one before asking the daemon.
    if (host.find(':') == std::string::npos)
      flag_error("invalid argument \"" + host + "\" for \"--add-host\" flag: bad format for " +
                 "add-host: \"" + host + "\"");
    config.add_extra_hosts(host);
  }
  config.set_ip(flags.ip);
  config.set_mac_address(flags.mac_address);
  for (const auto& publish : flags.publish)
    config.add_publish(publish);
  config.set_publish_all(flags.publish_all);
  *config.mutable_restart_policy() = parse_restart_policy(flags.restart);
  if (flags.remove && config.restart_policy().name() != "no")
    flag_error("Conflicting options: --restart and --rm");
  config.set_tty(flags.tty);
  config.set_open_stdin(flags.interactive);
  for (const auto& label : flags.labels) {
    const auto eq = label.find('=');
    if (eq == 0)
      flag_error("invalid label: " + label);
    (*config.mutable_labels())[label.substr(0, eq)] =
        eq == std::string::npos ? std::string() : label.substr(eq + 1);
  }
  config.set_auto_remove(flags.remove);
  for (const auto& option : flags.security_opts) {
    if (option == "no-new-privileges" || option == "no-new-privileges:true" ||
        option == "no-new-privileges=true")
      config.set_no_new_privileges(true);
    else if (option == "no-new-privileges:false" || option == "no-new-privileges=false")
      config.set_no_new_privileges(false);
    else
      flag_error("invalid --security-opt: " + option + " (keeld supports no-new-privileges)");
  }
  config.set_stop_signal(flags.stop_signal);
  if (flags.stop_timeout)
    config.set_stop_timeout(*flags.stop_timeout);
  return config;
}

keel::v1::ContainerConfig build_container_config(const RunFlags& flags) {
  const EnvLookup lookup = [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str()))
      return std::string(value);
    return std::nullopt;
  };
  const auto read_file = [](const std::string& path) {
    std::ifstream in(path);
    if (!in)
      flag_error("open " + path + ": no such file or directory");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  std::error_code error;
  const auto cwd = std::filesystem::current_path(error);
  return build_container_config(flags, lookup, read_file, error ? "/" : cwd.string());
}

void add_run_flags(CLI::App& cmd, RunFlags& flags, bool with_run) {
  // -h is --hostname here, as in docker; help stays reachable as --help.
  cmd.set_help_flag("--help", "Print usage");
  cmd.positionals_at_end();
  cmd.add_option("--pull", flags.pull,
                 "Pull image before running (\"always\", \"missing\", \"never\")")
      ->capture_default_str();
  if (with_run) {
    cmd.add_flag("-d,--detach", flags.detach, "Run container in background and print container ID");
    cmd.add_option("--detach-keys", flags.detach_keys,
                   "Override the key sequence for detaching a container");
    cmd.add_option("--sig-proxy", flags.sig_proxy, "Proxy received signals to the process")
        ->default_str("true");
  }
  cmd.add_flag("-i,--interactive", flags.interactive, "Keep STDIN open even if not attached");
  cmd.add_flag("-t,--tty", flags.tty, "Allocate a pseudo-TTY");
  cmd.add_flag("--rm", flags.remove, "Automatically remove the container when it exits");
  cmd.add_option("--name", flags.name, "Assign a name to the container");
  cmd.add_option("-e,--env", flags.env, "Set environment variables")->allow_extra_args(false);
  cmd.add_option("--env-file", flags.env_files, "Read in a file of environment variables")
      ->allow_extra_args(false);
  cmd.add_option("-w,--workdir", flags.working_dir, "Working directory inside the container");
  cmd.add_option("-u,--user", flags.user, "Username or UID (format: <name|uid>[:<group|gid>])");
  cmd.add_option("-v,--volume", flags.volumes, "Bind mount a volume")->allow_extra_args(false);
  cmd.add_option("--tmpfs", flags.tmpfs, "Mount a tmpfs directory")->allow_extra_args(false);
  cmd.add_option("--entrypoint", flags.entrypoint, "Overwrite the default ENTRYPOINT of the image");
  cmd.add_option("-h,--hostname", flags.hostname, "Container host name");
  cmd.add_option("-m,--memory", flags.memory, "Memory limit");
  cmd.add_option("--cpus", flags.cpus, "Number of CPUs");
  cmd.add_option("--pids-limit", flags.pids_limit,
                 "Tune container pids limit (set -1 for unlimited)");
  cmd.add_flag("--read-only", flags.read_only,
               "Mount the container's root filesystem as read only");
  cmd.add_option("--cap-add", flags.cap_add, "Add Linux capabilities")->allow_extra_args(false);
  cmd.add_option("--cap-drop", flags.cap_drop, "Drop Linux capabilities")->allow_extra_args(false);
  cmd.add_flag("--privileged", flags.privileged, "Give extended privileges to this container");
  cmd.add_option("--network,--net", flags.network,
                 "Connect a container to a network (bridge, none, host, NAME, container:ID)");
  cmd.add_option("--network-alias", flags.network_aliases,
                 "Add network-scoped alias for the container")
      ->allow_extra_args(false);
  cmd.add_option("--dns", flags.dns, "Set custom DNS servers")->allow_extra_args(false);
  cmd.add_option("--dns-search", flags.dns_search, "Set custom DNS search domains")
      ->allow_extra_args(false);
  cmd.add_option("--dns-option,--dns-opt", flags.dns_options, "Set DNS options")
      ->allow_extra_args(false);
  cmd.add_option("--add-host", flags.extra_hosts, "Add a custom host-to-IP mapping (host:ip)")
      ->allow_extra_args(false);
  cmd.add_option("--ip", flags.ip, "IPv4 address (e.g., 172.30.100.104)");
  cmd.add_option("--mac-address", flags.mac_address,
                 "Container MAC address (e.g., 92:d0:c6:0a:29:33)");
  cmd.add_option("-p,--publish", flags.publish, "Publish a container's port(s) to the host")
      ->allow_extra_args(false);
  cmd.add_flag("-P,--publish-all", flags.publish_all, "Publish all exposed ports to random ports");
  cmd.add_option("--restart", flags.restart, "Restart policy to apply when a container exits");
  cmd.add_option("-l,--label", flags.labels, "Set meta data on a container")
      ->allow_extra_args(false);
  cmd.add_option("--security-opt", flags.security_opts, "Security Options")
      ->allow_extra_args(false);
  cmd.add_option("--stop-signal", flags.stop_signal, "Signal to stop the container");
  cmd.add_option("--stop-timeout", flags.stop_timeout, "Timeout (in seconds) to stop a container");
  cmd.add_option("image", flags.args, "IMAGE [COMMAND] [ARG...]")->required();
}

}  // namespace keel::ctl
