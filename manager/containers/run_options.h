// What `docker run` flags ask of a container's spec, as keelctl sends them: RunOptions, and the
// parsers for the flag syntaxes that need one (-v, --tmpfs, --memory, --cpus, --env-file).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.h"
#include "manager/network/etc_files.h"
#include "manager/network/port_mapping.h"

namespace keel::manager::containers {

// none: a namespace of its own with only lo; host: the host's; bridge: a namespace keeld makes
// and wires to a CNI network (network_name); container: another container's namespace.
enum class NetworkMode { kNone, kHost, kBridge, kContainer };

// --network's forms: "none", "host", "bridge" or a network name, "container:ID".
struct NetworkChoice {
  NetworkMode mode = NetworkMode::kBridge;
  std::string name = "bridge";  // kBridge: the network; kContainer: the other container
};
[[nodiscard]] Result<NetworkChoice> parse_network(std::string_view text);

// One -v: a bind ("/host/dir:/ctr[:opts]") or a named volume ("name:/ctr[:opts]").
struct VolumeSpec {
  std::string source;  // absolute host path, or a volume name
  std::string destination;
  bool readonly = false;
  std::string propagation;  // empty: rprivate, docker's default for binds
  [[nodiscard]] bool is_named() const { return !source.empty() && source[0] != '/'; }
};

// One --tmpfs: "/ctr[:options]".
struct TmpfsSpec {
  std::string destination;
  std::vector<std::string> options;  // as given ("size=64m", "mode=1777", "exec", ...)
};

struct RunOptions {
  // Process. An empty entrypoint keeps the image's; args replace the image's Cmd.
  std::optional<std::vector<std::string>> entrypoint;  // --entrypoint ("" clears the image's)
  std::vector<std::string> args;                       // after the image reference
  std::vector<std::string> env;  // -e and --env-file lines, "KEY=VALUE", in order
  std::string workdir;           // -w; absolute
  std::string user;              // -u: "uid[:gid]" or names from the rootfs's /etc files
  std::string hostname;          // -h; empty: the first 12 characters of the id
  bool tty = false;              // -t
  bool stdin_open = false;       // -i (keeps the shim's stdin fifo; no spec change)
  std::map<std::string, std::string> labels;  // -l; written as spec annotations

  // Filesystem.
  std::vector<VolumeSpec> volumes;  // -v
  std::vector<TmpfsSpec> tmpfs;     // --tmpfs
  bool read_only = false;           // --read-only
  // Host directory of each named volume (key: its name) and of each anonymous volume an image
  // declares with no -v over it (key: its container path). keeld creates them; see
  // volumes_needed().
  std::map<std::string, std::string> volume_dirs;
  int64_t shm_size_bytes = 64 * 1024 * 1024;  // --shm-size, docker's default 64m

  // Resources; 0 or absent is "no limit".
  int64_t memory_bytes = 0;                  // -m
  std::optional<int64_t> memory_swap_bytes;  // --memory-swap: memory+swap, -1 unlimited
  double cpus = 0;                           // --cpus -> cpu quota over a 100ms period
  std::optional<int64_t> pids_limit;         // --pids-limit; <= 0 is unlimited

  // Security.
  std::vector<std::string> cap_add;  // "NET_ADMIN", "CAP_NET_ADMIN" or "ALL"
  std::vector<std::string> cap_drop;
  bool privileged = false;
  bool no_new_privileges = false;  // --security-opt no-new-privileges
  NetworkMode network = NetworkMode::kNone;
  std::string network_name;                   // kBridge: the network; kContainer: the container
  std::vector<network::PortMapping> publish;  // -p
  std::vector<std::string> network_aliases;   // --network-alias
  network::DnsOverrides dns;                  // --dns, --dns-search, --dns-option
  std::vector<std::string> extra_hosts;       // --add-host "NAME:IP"
  std::string ip;                             // --ip
  std::string mac_address;                    // --mac-address
  bool publish_all = false;                   // -P: each EXPOSEd port on a free host port
};

// Parses -v's syntax. kInvalidArgument for a relative container path, "/" as destination, an
// unknown option or a relative host path that is not a valid volume name.
[[nodiscard]] Result<VolumeSpec> parse_volume(std::string_view text);
// Parses --tmpfs's syntax ("/run" or "/run:rw,size=64m").
[[nodiscard]] Result<TmpfsSpec> parse_tmpfs(std::string_view text);
// docker's RAMInBytes: "512m", "1g", "1024", "1.5g" (binary units b k m g t p, any case).
[[nodiscard]] Result<int64_t> parse_memory_size(std::string_view text);
// --env-file: one KEY=VALUE per line; blank lines and lines starting with '#' are skipped,
// leading whitespace is trimmed, a bare KEY is kept as is (the client fills it from its own
// environment, as docker's CLI does, or drops it).
[[nodiscard]] Result<std::vector<std::string>> parse_env_file(std::string_view text);
// A signal by name ("SIGTERM", "term") or number ("15"), as StopSignal and `kill -s` accept it.
[[nodiscard]] Result<int> parse_signal(std::string_view text);

}  // namespace keel::manager::containers
