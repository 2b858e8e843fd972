// The part of an OCI image config ("config" object of image-spec config.md) that decides how a
// container runs: process, environment, user, stop signal, declared volumes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"

namespace keel::manager::containers {

struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string working_dir;
  std::string user;                  // "uid", "name", "uid:gid", "name:group"; empty: root
  std::string stop_signal;           // "SIGTERM", "TERM" or "15"; empty: SIGTERM
  std::vector<std::string> volumes;  // container paths (the keys of "Volumes")
  std::map<std::string, std::string> labels;
  std::vector<std::string> exposed_ports;  // "80/tcp", "53/udp" (the keys of "ExposedPorts")
};

// Parses the "config" object's JSON text (image-spec names: Entrypoint, Cmd, Env, WorkingDir,
// User, StopSignal, Volumes, Labels). Absent and null members are empty; a member of the wrong
// type is kInvalidArgument naming it.
[[nodiscard]] Result<ImageConfig> parse_image_config(std::string_view config_object_json);

}  // namespace keel::manager::containers
