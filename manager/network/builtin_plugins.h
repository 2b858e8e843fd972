// The CNI plugins keeld runs itself instead of exec'ing their binaries: each starts a Go process
// that costs more CPU than the work it does. A built-in takes the same configuration the binary
// would read on stdin (prevResult and runtimeConfig included) and prints the same result, so a
// configuration list mixes them with binaries (the built-in's result is the next binary's
// prevResult) and an attachment records the same plugin types either way. A built-in handles only
// the configurations it knows every field of; any other goes to the binary.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "manager/network/cni_plugin.h"

namespace keel::manager::network {

struct BuiltinPlugin {
  std::string_view type;
  // Whether this configuration is one the built-in does exactly what the binary would do with.
  bool (*handles)(const nlohmann::json& config);
  // ADD, DEL, CHECK or VERSION: the result JSON the binary would print.
  Result<std::string> (*run)(const std::string& command, const nlohmann::json& config,
                             const CniCall& call);
};

// The built-in for this plugin configuration ("type" and the fields it handles), or null.
[[nodiscard]] const BuiltinPlugin* find_builtin_plugin(const nlohmann::json& config);

}  // namespace keel::manager::network
