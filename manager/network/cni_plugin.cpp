#include "manager/network/cni_plugin.h"

#include <unistd.h>

#include "common/process_run.h"
#include "manager/network/builtin_plugins.h"

namespace keel::manager::network {
namespace {

std::string joined(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty())
      out += sep;
    out += part;
  }
  return out;
}

}  // namespace

Result<std::string> find_plugin(const CniRuntime& runtime, const std::string& type) {
  if (type.empty() || type.find('/') != std::string::npos)
    return Error::of(Errc::kInvalidArgument, "CNI plugin type \"" + type + "\" is not a name");
  for (const auto& dir : runtime.bin_dirs) {
    const std::string path = dir + "/" + type;
    if (::access(path.c_str(), X_OK) == 0)
      return path;
  }
  return Error::of(Errc::kNotFound, "CNI plugin \"" + type + "\" not found in " +
                                        joined(runtime.bin_dirs, ':') +
                                        " (install containernetworking-plugins or set "
                                        "--cni-bin-dir)");
}

Result<std::string> run_cni_plugin(const CniRuntime& runtime, const std::string& command,
                                   const nlohmann::json& config, const CniCall& call) {
  const std::string type = config.value("type", "");
  if (const BuiltinPlugin* builtin =
          runtime.builtin_plugins ? find_builtin_plugin(config) : nullptr) {
    auto output = builtin->run(command, config, call);
    if (!output)
      return std::move(output).error().context("CNI plugin \"" + type + "\" " + command);
    return output;
  }
  auto binary = find_plugin(runtime, type);
  if (!binary)
    return std::move(binary).error();
  // Plugins run iptables, ip and sysctl themselves: they need a PATH.
  std::vector<std::string> env = {
      "CNI_COMMAND=" + command,
      "CNI_CONTAINERID=" + call.container_id,
      "CNI_NETNS=" + call.netns,
      "CNI_IFNAME=" + call.ifname,
      "CNI_ARGS=" + call.args,
      "CNI_PATH=" + joined(runtime.bin_dirs, ':'),
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  };
  env.insert(env.end(), runtime.env.begin(), runtime.env.end());
  auto output = run_process({*binary}, env, config.dump(), runtime.timeout);
  if (!output)
    return std::move(output).error().context("CNI plugin \"" + type + "\" " + command);
  if (output->exit_code != 0)
    return cni_plugin_error(type, command, output->out, output->err, output->exit_code);
  return std::move(output->out);
}

Result<CniConfList> CniConfList::parse(const nlohmann::json& json) {
  if (!json.is_object() || !json.contains("plugins") || !json["plugins"].is_array() ||
      json["plugins"].empty())
    return Error::of(Errc::kInvalidArgument, "CNI configuration list: no \"plugins\"");
  CniConfList list;
  list.name_ = json.value("name", "");
  list.cni_version_ = json.value("cniVersion", "");
  if (list.name_.empty() || list.cni_version_.empty())
    return Error::of(Errc::kInvalidArgument,
                     "CNI configuration list: \"name\" and \"cniVersion\" are required");
  for (const auto& plugin : json["plugins"])
    if (!plugin.is_object() || plugin.value("type", "").empty())
      return Error::of(Errc::kInvalidArgument,
                       "CNI configuration list \"" + list.name_ + "\": a plugin has no \"type\"");
  list.json_ = json;
  return list;
}

nlohmann::json CniConfList::plugin_config(const nlohmann::json& plugin, const CniCall& call,
                                          const nlohmann::json& prev_result) const {
  nlohmann::json config = plugin;
  config["name"] = name_;
  config["cniVersion"] = cni_version_;
  config.erase("capabilities");
  if (auto caps = plugin.find("capabilities"); caps != plugin.end() && caps->is_object()) {
    nlohmann::json runtime_config = nlohmann::json::object();
    for (const auto& [key, enabled] : caps->items())
      if (enabled.is_boolean() && enabled.get<bool>() && call.capability_args.contains(key))
        runtime_config[key] = call.capability_args[key];
    if (!runtime_config.empty())
      config["runtimeConfig"] = std::move(runtime_config);
  }
  if (!prev_result.is_null())
    config["prevResult"] = prev_result;
  return config;
}

Result<CniResult> CniConfList::add(const CniRuntime& runtime, const CniCall& call) const {
  nlohmann::json prev = nullptr;
  for (const auto& plugin : json_["plugins"]) {
    auto out = run_cni_plugin(runtime, "ADD", plugin_config(plugin, call, prev), call);
    Result<CniResult> parsed = out ? parse_cni_result(*out) : Result<CniResult>(out.error());
    if (!parsed) {
      // What the plugins before this one made (a veth, an IP) is undone.
      (void)del(runtime, call, prev);
      return std::move(parsed).error().context("network \"" + name_ + "\"");
    }
    prev = parsed->raw;
  }
  auto result = cni_result_from_json(prev);
  if (!result)
    (void)del(runtime, call, prev);
  return result;
}

Result<void> CniConfList::del(const CniRuntime& runtime, const CniCall& call,
                              const nlohmann::json& prev_result) const {
  std::optional<Error> first;
  const auto& plugins = json_["plugins"];
  for (auto it = plugins.rbegin(); it != plugins.rend(); ++it) {
    auto out = run_cni_plugin(runtime, "DEL", plugin_config(*it, call, prev_result), call);
    if (!out && !first)
      first = std::move(out).error().context("network \"" + name_ + "\"");
  }
  if (first)
    return std::move(*first);
  return {};
}

Result<void> CniConfList::check(const CniRuntime& runtime, const CniCall& call,
                                const nlohmann::json& prev_result) const {
  for (const auto& plugin : json_["plugins"]) {
    auto out = run_cni_plugin(runtime, "CHECK", plugin_config(plugin, call, prev_result), call);
    if (!out)
      return std::move(out).error().context("network \"" + name_ + "\"");
  }
  return {};
}

}  // namespace keel::manager::network
