// keeld's process: its directories, the lock that gives it sole use of its root, the stores and
// services, and the gRPC server on one unix socket (mode 0600).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "manager/server/daemon_config.h"

namespace keel::manager::server {

struct DaemonOptions {
  // Persistent data: metadata database, content store, snapshots.
  std::filesystem::path root = "/var/lib/keel";
  // Runtime state: shim sockets, bundles, the runtime's own root.
  std::filesystem::path state = "/run/keel";
  // The gRPC socket.
  std::filesystem::path address = "/run/keel/keeld.sock";
  // The OCI runtime binary the shims run.
  std::filesystem::path runtime;
  // The per-container shim (keel-shim).
  std::filesystem::path shim;
  // Where keeld writes each network's CNI configuration list; empty: <root>/cni/net.d.
  std::filesystem::path cni_conf_dir;
  // Where the CNI plugins are (Debian's containernetworking-plugins installs them here).
  std::vector<std::string> cni_bin_dirs = {"/usr/lib/cni"};
  // The default network's bridge and subnet (empty: 172.30.0.0/16 unless the host routes it).
  std::string bridge = "keel0";
  std::string bridge_subnet;
  // From the configuration file (--config-file): mirrors, insecure registries, concurrency.
  DaemonConfig config;
  // A registry transfer that moves no byte for this long fails (and is retried, then reported).
  std::chrono::seconds registry_stall_timeout{60};
  // docker's client config layout: config.json (registry logins) and certs.d/. Empty: the root.
  std::filesystem::path config_dir;
};

class Daemon {
 public:
  // Takes the root's lock (another keeld on the same root is refused), opens the stores and
  // listens. Nothing is served until run().
  [[nodiscard]] static Result<std::unique_ptr<Daemon>> start(const DaemonOptions& options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Serves until shutdown() is called (from a signal thread).
  void wait();
  // Stops accepting, lets requests in progress finish for a moment, cancels the rest.
  void shutdown();

  [[nodiscard]] const std::filesystem::path& address() const;

 private:
  struct State;
  explicit Daemon(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace keel::manager::server
