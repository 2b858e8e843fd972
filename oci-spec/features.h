// The runtime-spec features document (features.md, features-linux.md) that `keel features` prints,
// and the name lists the spec and the kernel define (capabilities, rlimits, seccomp names...).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#if defined(linux)
#error "oci-spec/features.h needs -std=c++20, not gnu++20: `linux` is predefined as a macro"
#endif

namespace keel::oci {

// Every property but the two versions may be absent (std::nullopt), which the spec distinguishes
// from empty: an absent list means "unknown", an empty one "none".
struct Features {
  struct Cgroup {
    std::optional<bool> v1, v2, systemd, systemd_user, rdma;
    bool operator==(const Cgroup&) const = default;
  };
  struct Seccomp {
    std::optional<bool> enabled;
    std::optional<std::vector<std::string>> actions, operators, archs, known_flags, supported_flags;
    bool operator==(const Seccomp&) const = default;
  };
  struct Enabled {  // apparmor, selinux, intelRdt, mountExtensions.idmap
    std::optional<bool> enabled;
    bool operator==(const Enabled&) const = default;
  };
  struct MountExtensions {
    std::optional<Enabled> idmap;
    bool operator==(const MountExtensions&) const = default;
  };
  struct Linux {
    std::optional<std::vector<std::string>> namespaces, capabilities;
    std::optional<Cgroup> cgroup;
    std::optional<Seccomp> seccomp;
    std::optional<Enabled> apparmor, selinux, intel_rdt;
    std::optional<MountExtensions> mount_extensions;
    bool operator==(const Linux&) const = default;
  };

  std::string oci_version_min;
  std::string oci_version_max;
  std::optional<std::vector<std::string>> hooks;
  std::optional<std::vector<std::string>> mount_options;
  std::optional<Linux> linux;
  std::optional<std::map<std::string, std::string>> annotations;
  // Annotations whose values the runtime may act on in unsafe ways (a key ending in "." is a
  // prefix).
  std::optional<std::vector<std::string>> potentially_unsafe_config_annotations;
  bool operator==(const Features&) const = default;
};

// JSON with the spec's names, indented by two spaces; absent properties are omitted.
[[nodiscard]] std::string to_json(const Features& features);

// CAP_CHOWN ... CAP_CHECKPOINT_RESTORE: index i is capability number i (linux/capability.h).
[[nodiscard]] const std::vector<std::string>& known_capabilities();
[[nodiscard]] bool is_known_capability(std::string_view name);
// RLIMIT_CPU ... RLIMIT_RTTIME: index i is resource number i (asm-generic/resource.h).
[[nodiscard]] const std::vector<std::string>& known_rlimits();
// pid network mount ipc uts user cgroup time.
[[nodiscard]] const std::vector<std::string>& known_namespaces();
[[nodiscard]] const std::vector<std::string>& known_seccomp_actions();
[[nodiscard]] const std::vector<std::string>& known_seccomp_operators();
[[nodiscard]] const std::vector<std::string>& known_seccomp_archs();
[[nodiscard]] const std::vector<std::string>& known_seccomp_flags();
// The option names of config.md "Linux mount options" (not filesystem-specific data options).
[[nodiscard]] const std::vector<std::string>& known_mount_options();
// prestart createRuntime createContainer startContainer poststart poststop.
[[nodiscard]] const std::vector<std::string>& known_hooks();

}  // namespace keel::oci
