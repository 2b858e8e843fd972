#include "manager/server/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "common/fs.h"
#include "common/unique_fd.h"
#include "manager/containers/container_service.h"
#include "manager/content/store.h"
#include "manager/events/event_bus.h"
#include "manager/images/image_service.h"
#include "manager/images/snapshot_layers.h"
#include "manager/network/network_service.h"
#include "manager/registry/logins.h"
#include "manager/server/containers_service.h"
#include "manager/server/content_service.h"
#include "manager/server/events_service.h"
#include "manager/server/images_service.h"
#include "manager/server/networks_service.h"
#include "manager/server/private_mount.h"
#include "manager/server/registry_service.h"
#include "manager/server/snapshots_service.h"
#include "manager/server/tasks_service.h"
#include "manager/server/version_service.h"
#include "manager/snapshots/snapshotter.h"
#include "manager/store/database.h"

namespace keel::manager::server {
namespace {

// Creates the directory with mode (and its parents 0711) if missing.
Result<void> ensure_dir(const std::filesystem::path& dir, mode_t mode) {
  if (auto made = fs::mkdir_all(dir.string(), mode); !made)
    return std::move(made).error().context("creating " + dir.string());
  return {};
}

// One keeld per root: a second one would corrupt the metadata and fight over the shims.
Result<UniqueFd> lock_root(const std::filesystem::path& root) {
  const auto path = root / "keeld.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (fd.get() < 0)
    return Error::sys("opening " + path.string());
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return Error::of(Errc::kFailedPrecondition,
                       "root " + root.string() + " is in use by another keeld");
    return Error::sys("locking " + path.string());
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0)
    return Error::sys("writing " + path.string());
  return fd;
}

// Holds the root and the state dir as private mounts (private_mount.h), the state dir's left
// empty when they are one. After the root's lock: a keeld refused for a root in use touches no
// mount.
Result<void> make_private(const DaemonOptions& options, PrivateMount& root, PrivateMount& state) {
  auto root_mount = PrivateMount::make(options.root.string());
  if (!root_mount)
    return std::move(root_mount).error();
  root = std::move(*root_mount);
  if (options.state == options.root)
    return {};
  auto state_mount = PrivateMount::make(options.state.string());
  if (!state_mount)
    return std::move(state_mount).error();
  state = std::move(*state_mount);
  return {};
}

}  // namespace

// Members are destroyed in reverse order: the server first (no request in flight), then the
// services, then the stores they use, the database and last the root lock.
struct Daemon::State {
  DaemonOptions options;
  UniqueFd root_lock;
  // Where keeld mounts: rootfs mounts below the root, network namespaces below the state dir.
  PrivateMount root_mount;
  PrivateMount state_mount;
  std::optional<store::Database> db;
  std::unique_ptr<content::Store> content;
  std::unique_ptr<snapshots::Snapshotter> snapshotter;
  std::unique_ptr<images::SnapshotLayers> layers;
  std::unique_ptr<images::ImageService> images;
  std::unique_ptr<registry::Logins> logins;
  events::EventBus bus;
  std::unique_ptr<network::NetworkService> networks;
  std::unique_ptr<containers::ContainerService> containers;
  std::unique_ptr<VersionService> version;
  std::unique_ptr<EventsService> events;
  std::unique_ptr<ImagesService> images_api;
  std::unique_ptr<RegistryService> registry_api;
  std::unique_ptr<ContentService> content_api;
  std::unique_ptr<SnapshotsService> snapshots_api;
  std::unique_ptr<ContainersService> containers_api;
  std::unique_ptr<TasksService> tasks_api;
  std::unique_ptr<NetworksService> networks_api;
  std::unique_ptr<grpc::Server> server;
};

Daemon::Daemon(std::unique_ptr<State> state) : state_(std::move(state)) {}

Daemon::~Daemon() {
  if (state_ && state_->server)
    shutdown();
}

Result<std::unique_ptr<Daemon>> Daemon::start(const DaemonOptions& options) {
  auto state = std::make_unique<State>();
  state->options = options;
  KEEL_TRY(ensure_dir(options.root, 0711));
  KEEL_TRY(ensure_dir(options.state, 0711));
  KEEL_TRY(ensure_dir(options.address.parent_path(), 0711));
  auto lock = lock_root(options.root);
  if (!lock)
    return std::move(lock).error();
  state->root_lock = std::move(*lock);
  KEEL_TRY(make_private(options, state->root_mount, state->state_mount));

  auto db = store::Database::open((options.root / "metadata.db").string());
  if (!db)
    return std::move(db).error().context("opening metadata");
  state->db.emplace(std::move(*db));
  auto content = content::Store::open((options.root / "content").string(), *state->db);
  if (!content)
    return std::move(content).error().context("opening the content store");
  state->content = std::move(*content);
  auto snapshotter = snapshots::Snapshotter::open(*state->db, (options.root / "overlay").string());
  if (!snapshotter)
    return std::move(snapshotter).error().context("opening the snapshotter");
  state->snapshotter = std::move(*snapshotter);
  state->layers = std::make_unique<images::SnapshotLayers>(*state->snapshotter);
  auto image_service = images::ImageService::open(*state->db, *state->content, *state->layers);
  if (!image_service)
    return std::move(image_service).error().context("opening the image store");
  state->images = std::move(*image_service);

  auto networks =
      network::NetworkService::open(network::NetworkOptions{.root = options.root,
                                                            .state = options.state,
                                                            .cni_conf_dir = options.cni_conf_dir,
                                                            .cni_bin_dirs = options.cni_bin_dirs,
                                                            .default_bridge = options.bridge,
                                                            .default_subnet = options.bridge_subnet,
                                                            .bus = &state->bus},
                                    *state->db);
  if (!networks)
    return std::move(networks).error().context("opening the networks");
  state->networks = std::move(*networks);

  containers::ServiceOptions container_options;
  container_options.networks = state->networks.get();
  container_options.root = options.root;
  container_options.state = options.state;
  container_options.runtime = options.runtime;
  container_options.shim = options.shim;
  container_options.address = options.address.string();
  auto container_service = containers::ContainerService::open(
      container_options, *state->db, *state->images, *state->snapshotter, state->bus);
  if (!container_service)
    return std::move(container_service).error().context("opening the containers");
  state->containers = std::move(*container_service);
  state->networks->set_users([containers = state->containers.get()](const network::Network& n) {
    return containers->network_users(n);
  });
  // Images that containers use are kept by rmi and by GC.
  state->images->set_in_use([containers = state->containers.get()](const content::Digest& id) {
    return containers->image_in_use(id.str());
  });
  state->images->set_gc_roots(
      [containers = state->containers.get()] { return containers->gc_roots(); });
  // docker's layout under the config dir (keeld's root unless told): config.json (auths,
  // written by `keelctl login`) and certs.d/<host:port>/{ca.crt,client.cert,client.key}.
  const std::filesystem::path config_dir =
      options.config_dir.empty() ? options.root : options.config_dir;
  const images::RegistrySettings registry_settings{
      .hosts = {.certs_dir = (config_dir / "certs.d").string(),
                .insecure_registries = options.config.insecure_registries},
      .credentials_path = (config_dir / "config.json").string(),
      .mirrors = options.config.registry_mirrors,
      .max_concurrent_downloads = options.config.max_concurrent_downloads,
      .max_concurrent_uploads = options.config.max_concurrent_uploads,
      .stall_timeout = options.registry_stall_timeout};
  state->images->set_registry(registry_settings);
  state->logins = std::make_unique<registry::Logins>(registry_settings.hosts,
                                                     registry_settings.credentials_path);

  state->version = std::make_unique<VersionService>(options.runtime);
  state->images_api = std::make_unique<ImagesService>(*state->images, state->bus);
  state->registry_api = std::make_unique<RegistryService>(*state->logins);
  state->content_api = std::make_unique<ContentService>(*state->content, *state->images);
  state->snapshots_api = std::make_unique<SnapshotsService>(*state->snapshotter);
  state->containers_api = std::make_unique<ContainersService>(*state->containers);
  state->tasks_api = std::make_unique<TasksService>(*state->containers);
  state->events = std::make_unique<EventsService>(state->bus);
  state->networks_api = std::make_unique<NetworksService>(*state->networks, *state->containers);

  // The root lock is ours, so a socket file left here is from a keeld that died.
  if (::unlink(options.address.c_str()) != 0 && errno != ENOENT)
    return Error::sys("removing stale socket " + options.address.string());
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + options.address.string(), grpc::InsecureServerCredentials());
  builder.RegisterService(state->version.get());
  builder.RegisterService(state->events.get());
  builder.RegisterService(state->images_api.get());
  builder.RegisterService(state->registry_api.get());
  builder.RegisterService(state->content_api.get());
  builder.RegisterService(state->snapshots_api.get());
  builder.RegisterService(state->containers_api.get());
  builder.RegisterService(state->tasks_api.get());
  builder.RegisterService(state->networks_api.get());
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  // The socket is created mode 0600 from the start: chmod after bind would leave a window in
  // which anyone could connect to a root daemon.
  const mode_t old_umask = ::umask(0077);
  state->server = builder.BuildAndStart();
  ::umask(old_umask);
  if (!state->server)
    return Error::of(Errc::kUnavailable, "cannot listen on " + options.address.string());
  if (::chmod(options.address.c_str(), 0600) != 0)
    return Error::sys("chmod " + options.address.string());
  spdlog::info("keeld listening on unix://{} (root {}, state {})", options.address.string(),
               options.root.string(), options.state.string());
  return std::unique_ptr<Daemon>(new Daemon(std::move(state)));
}

void Daemon::wait() {
  state_->server->Wait();
}

void Daemon::shutdown() {
  state_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  // Containers keep running under their shims; keeld only stops watching them.
  state_->containers->shutdown();
}

const std::filesystem::path& Daemon::address() const {
  return state_->options.address;
}

}  // namespace keel::manager::server
