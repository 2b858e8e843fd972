// The OCI runtime spec of a container, from its image config and `docker run` options, with
// docker's secure defaults: its capability set, seccomp profile, masked and read-only /proc
// paths, device allow-list and mounts. --privileged lifts capabilities, seccomp and masking.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/containers/image_config.h"
#include "manager/containers/run_options.h"
#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {

// docker's PATH for an image that sets none.
inline constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// What keeld knows about the container beyond the image and the flags.
struct SpecContext {
  std::string id;            // the default hostname is its first 12 characters
  std::string rootfs;        // absolute host path: root.path, and where -u names are looked up
  std::string cgroups_path;  // linux.cgroupsPath; empty: "/keel/<id>"
  std::string log_path;      // the shim's CRI log (annotation io.keel.shim.log-path); empty: none
  std::string host_dev_dir = "/dev";  // --privileged takes the host's devices from here
  std::optional<bool> cgroup_ns;      // empty: a private one on a cgroup v2 host, as docker
  std::string arch;                   // for seccomp; empty: this host's
  // RLIMIT_NOFILE's hard limit; empty: docker's 524288, or keeld's own hard limit when lower
  // (raising it needs CAP_SYS_RESOURCE, which keeld may not hold).
  std::optional<uint64_t> nofile_hard;
  // NetworkMode kBridge and kContainer: the namespace to join (linux.namespaces network path).
  std::string netns_path;
  // Where keeld wrote the container's hosts, hostname and resolv.conf; empty: the image's.
  std::string etc_dir;
};

// Fails with kInvalidArgument for flags that contradict each other or the image (no command,
// relative workdir, unknown capability, memory below 6 MiB), kNotFound for a -u user the rootfs
// does not know or a volume without a host directory in RunOptions::volume_dirs. The result
// passes oci::validate.
[[nodiscard]] Result<oci::RuntimeConfig> build_spec(const ImageConfig& image, const RunOptions& run,
                                                    const SpecContext& context);

// The keys RunOptions::volume_dirs must hold before build_spec: the name of each named -v
// volume, then the container path of each image volume no -v or --tmpfs covers (anonymous).
[[nodiscard]] std::vector<std::string> volumes_needed(const ImageConfig& image,
                                                      const RunOptions& run);

// The image's StopSignal as a number; SIGTERM when it names none.
[[nodiscard]] Result<int> stop_signal_of(const ImageConfig& image);

}  // namespace keel::manager::containers
