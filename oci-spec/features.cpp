// to_json(Features): features.md and features-linux.md names, in the spec's order.
#include "oci-spec/features.h"

#include <nlohmann/json.hpp>

namespace keel::oci {
namespace {

using Out = nlohmann::ordered_json;

template <class T>
void put(Out& o, const char* key, const std::optional<T>& value) {
  if (value)
    o[key] = *value;
}

Out enabled_json(const Features::Enabled& e) {
  Out o = Out::object();
  put(o, "enabled", e.enabled);
  return o;
}

void put_enabled(Out& o, const char* key, const std::optional<Features::Enabled>& e) {
  if (e)
    o[key] = enabled_json(*e);
}

Out cgroup_json(const Features::Cgroup& c) {
  Out o = Out::object();
  put(o, "v1", c.v1);
  put(o, "v2", c.v2);
  put(o, "systemd", c.systemd);
  put(o, "systemdUser", c.systemd_user);
  put(o, "rdma", c.rdma);
  return o;
}

Out seccomp_json(const Features::Seccomp& s) {
  Out o = Out::object();
  put(o, "enabled", s.enabled);
  put(o, "actions", s.actions);
  put(o, "operators", s.operators);
  put(o, "archs", s.archs);
  put(o, "knownFlags", s.known_flags);
  put(o, "supportedFlags", s.supported_flags);
  return o;
}

Out linux_json(const Features::Linux& l) {
  Out o = Out::object();
  put(o, "namespaces", l.namespaces);
  put(o, "capabilities", l.capabilities);
  if (l.cgroup)
    o["cgroup"] = cgroup_json(*l.cgroup);
  if (l.seccomp)
    o["seccomp"] = seccomp_json(*l.seccomp);
  put_enabled(o, "apparmor", l.apparmor);
  put_enabled(o, "selinux", l.selinux);
  put_enabled(o, "intelRdt", l.intel_rdt);
  if (l.mount_extensions) {
    Out& ext = o["mountExtensions"] = Out::object();
    put_enabled(ext, "idmap", l.mount_extensions->idmap);
  }
  return o;
}

}  // namespace

std::string to_json(const Features& features) {
  Out o{{"ociVersionMin", features.oci_version_min}, {"ociVersionMax", features.oci_version_max}};
  put(o, "hooks", features.hooks);
  put(o, "mountOptions", features.mount_options);
  if (features.linux)
    o["linux"] = linux_json(*features.linux);
  put(o, "annotations", features.annotations);
  put(o, "potentiallyUnsafeConfigAnnotations", features.potentially_unsafe_config_annotations);
  return o.dump(2);
}

}  // namespace keel::oci
