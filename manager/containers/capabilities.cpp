// Capability names in kernel order (include/uapi/linux/capability.h), and docker's add/drop.
#include "manager/containers/capabilities.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "oci-spec/features.h"

namespace keel::manager::containers {
namespace {

// Index = capability number: the runtime's own list (oci-spec/known_names.cpp).
const std::vector<std::string>& kCapabilities = oci::known_capabilities();

std::size_t number_of(const std::string& name) {
  return static_cast<std::size_t>(std::find(kCapabilities.begin(), kCapabilities.end(), name) -
                                  kCapabilities.begin());
}

std::vector<std::string> sorted(const std::set<std::string>& names) {
  std::vector<std::string> out(names.begin(), names.end());
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return number_of(a) < number_of(b); });
  return out;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> kDefault = {
      "CAP_CHOWN",       "CAP_DAC_OVERRIDE", "CAP_FOWNER",
      "CAP_FSETID",      "CAP_KILL",         "CAP_SETGID",
      "CAP_SETUID",      "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE",
      "CAP_NET_RAW",     "CAP_SYS_CHROOT",   "CAP_MKNOD",
      "CAP_AUDIT_WRITE", "CAP_SETFCAP",
  };
  return kDefault;
}

const std::vector<std::string>& all_capabilities() {
  static const std::vector<std::string>& kAll = kCapabilities;
  return kAll;
}

Result<std::string> normalize_capability(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "ALL")
    return upper;
  if (!upper.starts_with("CAP_"))
    upper = "CAP_" + upper;
  if (number_of(upper) == kCapabilities.size())
    return Error::of(Errc::kInvalidArgument, "unknown capability: \"" + upper + "\"");
  return upper;
}

Result<std::vector<std::string>> apply_cap_changes(const std::vector<std::string>& add,
                                                   const std::vector<std::string>& drop) {
  std::set<std::string> adds;
  std::set<std::string> drops;
  for (const auto& [from, to] : {std::pair{&add, &adds}, std::pair{&drop, &drops}}) {
    for (const auto& name : *from) {
      auto n = normalize_capability(name);
      if (!n)
        return std::move(n).error();
      to->insert(std::move(*n));
    }
  }
  std::set<std::string> caps;
  if (adds.contains("ALL"))
    caps.insert(all_capabilities().begin(), all_capabilities().end());
  else if (!drops.contains("ALL"))
    caps.insert(default_capabilities().begin(), default_capabilities().end());
  for (const auto& d : drops) {
    if (!adds.contains(d))
      caps.erase(d);
  }
  for (const auto& a : adds) {
    if (a != "ALL")
      caps.insert(a);
  }
  return sorted(caps);
}

}  // namespace keel::manager::containers
