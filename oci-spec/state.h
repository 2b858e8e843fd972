// The container state of runtime.md "State": what `keel state` prints and hooks read on stdin.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace keel::oci {

struct State {
  std::string oci_version;
  std::string id;
  std::string status;  // creating, created, running, stopped
  int pid = 0;         // 0: none (omitted from the JSON, as runc does)
  std::string bundle;  // absolute path
  std::map<std::string, std::string> annotations;
  bool operator==(const State&) const = default;
};

// JSON with the spec's names (ociVersion, id, status, pid, bundle, annotations), two-space indent.
[[nodiscard]] std::string to_json(const State& state);

// Errors are kInvalidArgument, "state: <json path>: <rule>".
[[nodiscard]] Result<State> parse_state(std::string_view json_text);

}  // namespace keel::oci
