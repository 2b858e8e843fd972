// The container half of keeld without gRPC: containers from images and docker run options, their
// tasks run by one keel-shim each, exits watched, restart policies applied, state recovered after
// a keeld restart.
//
// Where things live: <root>/containers/<id>/ holds the bundle (config.json, the rootfs mount
// point) and the CRI log the shim writes; <root>/volumes/<name>/_data the volumes;
// <state>/shims/ the shims' sockets and <state>/runtime the OCI runtime's state. The rootfs is
// mounted by keeld at create and unmounted at rm, so it survives keeld restarts untouched.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "manager/containers/container_store.h"
#include "manager/containers/record.h"
#include "manager/containers/run_options.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_service.h"
#include "manager/network/net_dev.h"
#include "manager/network/network_service.h"
#include "manager/snapshots/snapshotter.h"

namespace keel::manager::containers {

struct ServiceOptions {
  std::filesystem::path root;
  std::filesystem::path state;
  std::filesystem::path runtime;  // the OCI runtime binary (keel)
  std::filesystem::path shim;     // keel-shim
  std::string address;            // keeld's socket, passed to shims as containerd's address
  std::string ns = "keel";        // the shim namespace
  // Container networks (bridge and user networks); null: only none and host are offered.
  network::NetworkService* networks = nullptr;
};

struct CreateRequest {
  std::string image;
  std::string name;  // empty: a random docker-style name
  RunOptions run;
  RestartPolicy restart;
  bool auto_remove = false;
  std::string stop_signal;  // empty: the image's StopSignal, else SIGTERM
  int stop_timeout = 10;
  std::string config;  // the client's config, kept for inspect
};

// The stdio of a process as fifo paths (empty: none), for attach and exec relays.
struct ProcessStdio {
  std::string stdin_path;
  std::string stdout_path;
  std::string stderr_path;
  bool terminal = false;
};

struct ExecRequest {
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::string working_dir;
  std::string user;
  bool tty = false;
  bool attach_stdin = false;
  bool privileged = false;
};

// An exec'd process in flight: its id and fifos; wait_exec() collects its exit code.
struct ExecHandle {
  std::string container_id;
  std::string exec_id;
  ProcessStdio stdio;
  int pid = 0;
};

struct StatsSample {
  std::uint64_t cpu_usage_ns = 0;
  std::uint64_t system_cpu_ns = 0;
  std::uint32_t online_cpus = 0;
  std::uint64_t memory_usage = 0;
  std::uint64_t memory_limit = 0;
  std::uint64_t pids = 0;
  std::uint64_t block_read = 0;
  std::uint64_t block_write = 0;
  // The container's interfaces but lo, read from its init's network namespace; empty for
  // --network host (the host's interfaces are not the container's) and none.
  std::vector<network::InterfaceCounters> networks;
};

struct Change {
  char kind;  // 'A', 'C', 'D'
  std::string path;
};

// docker top: ps's column titles and the rows of the container's processes.
struct ProcessTable {
  std::vector<std::string> titles;
  std::vector<std::vector<std::string>> processes;
};

class ShimConnector;

class ContainerService {
 public:
  // Opens the table, then reconnects to the shims of every container recorded as running: those
  // still running are watched again, those that exited meanwhile get their real exit codes.
  // The shims are keel-shim's, launched and reached over ttrpc.
  [[nodiscard]] static Result<std::unique_ptr<ContainerService>> open(
      const ServiceOptions& options, store::Database& db, images::ImageService& images,
      snapshots::Snapshotter& snapshotter, events::EventBus& bus);
  // The same over other shims (task_shim.h): tests drive the service through fakes.
  [[nodiscard]] static Result<std::unique_ptr<ContainerService>> open(
      const ServiceOptions& options, store::Database& db, images::ImageService& images,
      snapshots::Snapshotter& snapshotter, events::EventBus& bus,
      std::unique_ptr<ShimConnector> shims);
  ~ContainerService();
  ContainerService(const ContainerService&) = delete;
  ContainerService& operator=(const ContainerService&) = delete;

  [[nodiscard]] Result<ContainerRecord> create(const CreateRequest& request);
  // The record without its spec (spec_json empty), as list's are: what most callers need.
  [[nodiscard]] Result<ContainerRecord> get(std::string_view id_or_name);
  // The record and its spec.
  [[nodiscard]] Result<ContainerRecord> inspect(std::string_view id_or_name);
  [[nodiscard]] Result<std::vector<ContainerRecord>> list();
  // Starts the container's task; a running container is left alone.
  [[nodiscard]] Result<ContainerRecord> start(std::string_view id_or_name);
  // Sends signal to the init (docker kill); kFailedPrecondition when not running.
  [[nodiscard]] Result<void> kill(std::string_view id_or_name, int signal);
  // The stop signal, then SIGKILL after timeout seconds (negative: the container's own).
  [[nodiscard]] Result<ContainerRecord> stop(std::string_view id_or_name, int timeout);
  [[nodiscard]] Result<ContainerRecord> restart(std::string_view id_or_name, int timeout);
  [[nodiscard]] Result<void> pause(std::string_view id_or_name);
  [[nodiscard]] Result<void> resume(std::string_view id_or_name);
  // Blocks until the container is not running (or deadline); returns its record then.
  [[nodiscard]] Result<ContainerRecord> wait(std::string_view id_or_name,
                                             const std::function<bool()>& cancelled);
  [[nodiscard]] Result<void> remove(std::string_view id_or_name, bool force, bool volumes);
  [[nodiscard]] Result<ContainerRecord> rename(std::string_view id_or_name,
                                               std::string_view new_name);
  // Live limits (0 leaves a limit as it is) and the restart policy.
  [[nodiscard]] Result<ContainerRecord> update(std::string_view id_or_name,
                                               std::int64_t memory_bytes, std::int64_t milli_cpus,
                                               std::int64_t pids_limit,
                                               const std::optional<RestartPolicy>& restart);

  // The init's stdio fifos (created with the container), for attach.
  [[nodiscard]] Result<ProcessStdio> init_stdio(std::string_view id_or_name);
  [[nodiscard]] Result<void> resize(std::string_view id_or_name, const std::string& exec_id,
                                    std::uint32_t cols, std::uint32_t rows);
  [[nodiscard]] Result<void> close_stdin(std::string_view id_or_name, const std::string& exec_id);

  [[nodiscard]] Result<ExecHandle> exec(std::string_view id_or_name, const ExecRequest& request);
  // Starts the process exec() added (once the caller has its fifos open).
  [[nodiscard]] Result<void> start_exec(ExecHandle& handle);
  // Waits for the exec'd process, removes it from the shim and its fifos; its exit code.
  [[nodiscard]] Result<int> wait_exec(const ExecHandle& handle);
  // exec --detach: nobody waits, so the service reaps the process in the background.
  [[nodiscard]] Result<void> detach_exec(const ExecHandle& handle);

  [[nodiscard]] Result<std::vector<int>> pids(std::string_view id_or_name);
  // docker top: the host's ps (ps_args, default -ef) limited to the container's pids.
  [[nodiscard]] Result<ProcessTable> top(std::string_view id_or_name,
                                         const std::vector<std::string>& ps_args);
  [[nodiscard]] Result<StatsSample> stats(std::string_view id_or_name);

  [[nodiscard]] Result<std::vector<Change>> diff(std::string_view id_or_name);
  // The writable layer becomes an image layer on the container's image, named ref.
  [[nodiscard]] Result<images::Image> commit(std::string_view id_or_name, const std::string& ref,
                                             const std::vector<std::string>& changes,
                                             const std::string& message, const std::string& author,
                                             bool pause);
  // The mounted rootfs of the container (for export and cp); empty while not mounted.
  [[nodiscard]] Result<std::string> rootfs(std::string_view id_or_name);

  // docker network connect/disconnect (container_network.h's connect_network and
  // disconnect_network); the record as saved.
  [[nodiscard]] Result<ContainerRecord> connect(std::string_view id_or_name,
                                                const std::string& network,
                                                const std::vector<std::string>& aliases,
                                                const std::string& ip = "");
  [[nodiscard]] Result<ContainerRecord> disconnect(std::string_view id_or_name,
                                                   const std::string& network, bool force = false);

  // Names of the containers whose --network is `network` (network rm's guard). Takes no lock
  // of the service's, so the network service may call it under its own.
  [[nodiscard]] std::vector<std::string> network_users(const network::Network& network);

  // Whether any container uses the image (rmi's guard).
  [[nodiscard]] bool image_in_use(const std::string& image_id);
  // Snapshot keys and image ids that containers hold (GC roots).
  [[nodiscard]] Result<images::GcRoots> gc_roots();

  // Stops watching shims and cancels pending restarts (keeld shutting down): containers keep
  // running. Joins every thread the service started.
  void shutdown();

 private:
  struct Impl;
  explicit ContainerService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::manager::containers
