// CNI 1.0 (SPEC.md "Execution protocol" and "Execution of Network Configuration Lists"): one
// plugin run with the CNI_* environment and its configuration on stdin, and a configuration
// list run in order for ADD and CHECK and in reverse for DEL, each plugin getting the list's
// name and cniVersion, the previous result as prevResult, and the runtimeConfig its
// capabilities ask for.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "manager/network/cni_result.h"

namespace keel::manager::network {

struct CniRuntime {
  std::vector<std::string> bin_dirs = {"/usr/lib/cni"};          // CNI_PATH, searched in order
  std::chrono::milliseconds timeout = std::chrono::seconds(30);  // per plugin run
  // More NAME=VALUE for every plugin run (XDG_RUNTIME_DIR, where dnsname keeps its state).
  std::vector<std::string> env;
  // The plugins keeld carries (builtin_plugins.h) run in keeld; false execs every one.
  bool builtin_plugins = true;
};

// One attachment of one container to one network (SPEC.md "Attachment").
struct CniCall {
  std::string container_id;  // CNI_CONTAINERID
  std::string netns;         // CNI_NETNS: a path
  std::string ifname;        // CNI_IFNAME
  std::string args;          // CNI_ARGS: "K=V;K2=V2"
  // Capability arguments ("portMappings": [...]): each plugin that declares the capability
  // gets its value under runtimeConfig (CONVENTIONS.md).
  nlohmann::json capability_args = nlohmann::json::object();
  // DEL only, for keeld's built-in plugins (an exec'd plugin is not told): the caller removes
  // netns right after the DEL and nothing else holds it, so an interface inside it goes with it.
  // The kernel then deletes the veth pair in its own teardown of the namespace, off the caller's
  // path: a veth's synchronous delete waits ~15 ms for the kernel to unregister it.
  bool namespace_ends = false;
};

// The plugin binary `type` from the bin dirs; kNotFound names where it was looked for.
[[nodiscard]] Result<std::string> find_plugin(const CniRuntime& runtime, const std::string& type);

// Runs one plugin with `command` (ADD, DEL, CHECK, VERSION) and `config` on stdin; its stdout.
// A non-zero exit is cni_plugin_error's one line. A configuration a built-in handles runs in
// keeld, its error as one line too.
[[nodiscard]] Result<std::string> run_cni_plugin(const CniRuntime& runtime,
                                                 const std::string& command,
                                                 const nlohmann::json& config, const CniCall& call);

// A network configuration list ({"cniVersion", "name", "plugins": [...]}).
class CniConfList {
 public:
  // kInvalidArgument when a field the protocol needs is missing.
  [[nodiscard]] static Result<CniConfList> parse(const nlohmann::json& json);

  // ADD through every plugin. When one fails, DEL runs through the whole list (the spec's
  // cleanup, so no half-made attachment stays) and the ADD's error is returned.
  [[nodiscard]] Result<CniResult> add(const CniRuntime& runtime, const CniCall& call) const;
  // DEL in reverse order, each plugin with the ADD's result as prevResult (null when lost).
  // Every plugin runs even when one fails; the first error is returned.
  [[nodiscard]] Result<void> del(const CniRuntime& runtime, const CniCall& call,
                                 const nlohmann::json& prev_result) const;
  // CHECK in order with the ADD's result.
  [[nodiscard]] Result<void> check(const CniRuntime& runtime, const CniCall& call,
                                   const nlohmann::json& prev_result) const;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] const nlohmann::json& json() const { return json_; }

 private:
  // A plugin's stdin: its own config plus name, cniVersion, runtimeConfig and prevResult.
  [[nodiscard]] nlohmann::json plugin_config(const nlohmann::json& plugin, const CniCall& call,
                                             const nlohmann::json& prev_result) const;

  std::string name_;
  std::string cni_version_;
  nlohmann::json json_;
};

}  // namespace keel::manager::network
