#include "manager/network/builtin_plugins.h"

#include <array>

#include "manager/network/bridge_plugin.h"

namespace keel::manager::network {

const BuiltinPlugin* find_builtin_plugin(const nlohmann::json& config) {
  static constexpr std::array kPlugins = {
      BuiltinPlugin{.type = "bridge", .handles = bridge_plugin_handles, .run = run_bridge_plugin},
  };
  const std::string type = config.value("type", "");
  for (const auto& plugin : kPlugins)
    if (plugin.type == type && plugin.handles(config))
      return &plugin;
  return nullptr;
}

}  // namespace keel::manager::network
