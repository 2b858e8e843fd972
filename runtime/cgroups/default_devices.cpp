// effective_resources: the config's device rules plus the defaults every container gets.
#include "runtime/cgroups/default_devices.h"

#include <optional>
#include <utility>
#include <vector>

namespace keel::runtime::cgroups {

// The config's rules, then (as runc does) the default devices every container needs and the ones
// linux.devices creates, so a "deny all" config still has a working /dev. A default the config
// denies by its own type, major and minor stays denied: that rule is the config asking for exactly
// this device to be unusable. A default the config already allows as such after its last deny
// (docker's and keeld's specs list them all after a "deny all") is not repeated: each rule is a
// cgroup write or a filter instruction.
oci::Resources effective_resources(const oci::RuntimeConfig& config) {
  oci::Resources resources = config.linux->resources.value_or(oci::Resources{});
  const std::vector<oci::DeviceCgroup> configured = resources.devices;
  size_t after_last_deny = 0;
  for (size_t i = 0; i < configured.size(); ++i)
    if (!configured[i].allow)
      after_last_deny = i + 1;
  auto allow = [&](const char* type, std::optional<int64_t> major, std::optional<int64_t> minor,
                   const char* access) {
    for (const auto& rule : configured) {
      if (!rule.allow && rule.type == type && rule.major && rule.major == major &&
          rule.minor == minor)
        return;
    }
    for (size_t i = after_last_deny; i < configured.size(); ++i) {
      const auto& rule = configured[i];
      if (rule.type == type && rule.major == major && rule.minor == minor && rule.access == access)
        return;
    }
    resources.devices.push_back(oci::DeviceCgroup{true, type, access, major, minor});
  };
  allow("c", std::nullopt, std::nullopt, "m");
  allow("b", std::nullopt, std::nullopt, "m");
  for (auto [major, minor] :
       {std::pair{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}, {10, 200}})
    allow("c", major, minor, "rwm");
  allow("c", 136, std::nullopt, "rwm");  // /dev/pts/*
  for (const auto& d : config.linux->devices)
    allow(d.type == "b" ? "b" : "c", d.major, d.minor, "rwm");
  return resources;
}

}  // namespace keel::runtime::cgroups
