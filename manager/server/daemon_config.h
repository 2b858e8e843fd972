// keeld's configuration file (`--config-file`, default /etc/keel/keeld.json): a JSON object with
// docker's daemon.json keys where docker has them. Every key is known and every value checked at
// start: a typo or a bad value refuses to start with one line naming the key, rather than a
// daemon running with a setting silently ignored.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::server {

inline constexpr std::string_view kDefaultConfigFile = "/etc/keel/keeld.json";

struct DaemonConfig {
  // "registry-mirrors": base URLs tried, in order, before docker.io itself for docker.io images.
  // Stored without a trailing slash.
  std::vector<std::string> registry_mirrors;
  // "insecure-registries": host[:port] or CIDR entries reached over plain HTTP.
  std::vector<std::string> insecure_registries;
  // "max-concurrent-downloads" and "max-concurrent-uploads": layers in flight per pull / push.
  int max_concurrent_downloads = 3;
  int max_concurrent_uploads = 5;
};

// Parses the file's text; `path` only names the file in errors
// ("config file /x/y.json: unknown key \"foo\"").
[[nodiscard]] Result<DaemonConfig> parse_daemon_config(std::string_view text,
                                                       std::string_view path);

// Reads and parses `path`. A missing file is the defaults when it is the default path the user
// did not ask for (explicit == false), and an error when it was named on the command line.
[[nodiscard]] Result<DaemonConfig> load_daemon_config(const std::string& path, bool explicit_path);

}  // namespace keel::manager::server
