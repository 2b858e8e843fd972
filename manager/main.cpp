// keeld: the manager daemon. Flags, logging and signals here; everything else in
// manager/server (Daemon) and the libraries under it.
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include "manager/server/daemon.h"

namespace {

// A binary beside keeld's own: an installed set works without configuration.
std::filesystem::path beside_keeld(const char* name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path() / name;
    if (std::filesystem::exists(beside, ec))
      return beside;
  }
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates under contention an arena of its own and keeps the
  // freed memory there: with 8 clients starting containers at once keeld's RSS more than
  // doubled (35 to 81 MiB at 1000 containers). Two arenas hold keeld's allocation rate.
  if (::mallopt(M_ARENA_MAX, 2) != 1)
    std::fputs("keeld: mallopt(M_ARENA_MAX) refused\n", stderr);
  keel::manager::server::DaemonOptions options;
  options.runtime = beside_keeld("keel");
  options.shim = beside_keeld("keel-shim");
  std::string log_level = "info";
  std::string config_file(keel::manager::server::kDefaultConfigFile);
  CLI::App app{"keeld: the Keel manager daemon (images, snapshots, containers over gRPC)", "keeld"};
  app.set_version_flag("-v,--version", "keeld version " KEEL_VERSION);
  app.add_option("--root", options.root, "Directory for persistent data")->capture_default_str();
  app.add_option("--state", options.state, "Directory for runtime state")->capture_default_str();
  app.add_option("--address", options.address, "The gRPC unix socket")->capture_default_str();
  app.add_option("--runtime", options.runtime, "The OCI runtime the shims run")
      ->capture_default_str();
  app.add_option("--shim", options.shim, "The per-container shim")->capture_default_str();
  app.add_option("--cni-conf-dir", options.cni_conf_dir,
                 "Where keeld writes its networks' CNI configuration lists (default "
                 "<root>/cni/net.d)");
  std::string cni_bin_dir = "/usr/lib/cni";
  app.add_option("--cni-bin-dir", cni_bin_dir,
                 "Where the CNI plugins are (several: colon-separated, as CNI_PATH)")
      ->capture_default_str();
  app.add_option("--bridge", options.bridge, "The default network's Linux bridge")
      ->capture_default_str();
  app.add_option("--bridge-subnet", options.bridge_subnet,
                 "The default network's subnet (default 172.30.0.0/16, or a free /16 when the "
                 "host routes that)");
  auto* config_option =
      app.add_option("--config-file", config_file, "The daemon configuration file (JSON)")
          ->capture_default_str();
  app.add_option("--config-dir", options.config_dir,
                 "Registry logins (config.json) and certificates (certs.d); default: the root");
  app.add_option("--log-level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  options.cni_bin_dirs.clear();
  for (std::size_t start = 0; start <= cni_bin_dir.size();) {
    const std::size_t colon = std::min(cni_bin_dir.find(':', start), cni_bin_dir.size());
    if (colon > start)
      options.cni_bin_dirs.push_back(cni_bin_dir.substr(start, colon - start));
    start = colon + 1;
  }
  // Resolved once, against keeld's own cwd: shims run in their bundle directories and a
  // container's spec needs an absolute rootfs, so a relative path would break every `run`.
  for (auto* path : {&options.root, &options.state, &options.address, &options.runtime,
                     &options.shim, &options.cni_conf_dir, &options.config_dir}) {
    if (path->empty())
      continue;
    std::error_code ec;
    *path = std::filesystem::absolute(*path, ec).lexically_normal();
    if (ec) {
      std::fprintf(stderr, "keeld: %s: %s\n", path->c_str(), ec.message().c_str());
      return 1;
    }
  }

  // A missing default file is no configuration; a file asked for by name must be there.
  auto config = keel::manager::server::load_daemon_config(config_file, config_option->count() > 0);
  if (!config) {
    std::fprintf(stderr, "keeld: %s\n", config.error().message().c_str());
    return 1;
  }
  options.config = std::move(*config);
  // Not a daemon.json key: tests shorten it so that a registry that hangs fails in seconds.
  if (const char* stall = std::getenv("KEELD_REGISTRY_STALL_TIMEOUT"); stall != nullptr) {
    char* end = nullptr;
    const long seconds = std::strtol(stall, &end, 10);
    if (end == stall || *end != '\0' || seconds < 1) {
      std::fprintf(stderr, "keeld: KEELD_REGISTRY_STALL_TIMEOUT=%s: not a number of seconds\n",
                   stall);
      return 1;
    }
    options.registry_stall_timeout = std::chrono::seconds(seconds);
  }

  // Each running container holds a few of keeld's fds (its shim's event connection, a pidfd on
  // the shim): the soft limit's usual 1024 would cap keeld at a few hundred containers. Raising
  // the soft limit to the hard one needs no privilege.
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }

  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%f%z %^%l%$ %v");

  // Signals are taken by one thread with sigwait so that shutdown runs outside signal context;
  // they are blocked before gRPC starts its threads, which inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  auto daemon = keel::manager::server::Daemon::start(options);
  if (!daemon) {
    std::fprintf(stderr, "keeld: %s\n", daemon.error().message().c_str());
    return 1;
  }
  std::thread signal_thread([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("keeld: {} received, shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    (*daemon)->shutdown();
  });
  (*daemon)->wait();
  // wait() also returns if the server failed; make the signal thread end either way.
  pthread_kill(signal_thread.native_handle(), SIGTERM);
  signal_thread.join();
  spdlog::info("keeld: stopped");
  return 0;
}
