// ContainerService::create: the record from the image and docker run options, its snapshot
// mounted as the rootfs, its volumes, config.json and stdio fifos. All undone on failure.
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/fs.h"
#include "common/scope_guard.h"
#include "manager/containers/container_network.h"
#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"
#include "manager/containers/image_config.h"
#include "manager/containers/phase_timer.h"
#include "manager/containers/spec_builder.h"
#include "manager/containers/volumes.h"
#include "manager/store/deferred_sync.h"
#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {
namespace {

// The record's identity and options; names and the --rm/--restart conflict checked. Mutex held.
Result<ContainerRecord> new_record(ServiceState& state, const CreateRequest& request,
                                   const images::Image& image, const ImageConfig& image_config,
                                   const std::string& dir) {
  ContainerRecord record;
  record.id = new_container_id();
  if (request.name.empty()) {
    unsigned attempt = 0;
    do {
      record.name = random_name(attempt++);
    } while (state.name_taken(record.name));
  } else {
    auto name = validate_name(request.name);
    if (!name)
      return std::move(name).error();
    record.name = *name;
    KEEL_TRY(state.check_name_free(record.name));
  }
  record.image = request.image;
  record.image_id = image.id.str();
  record.config = request.config;
  record.labels = request.run.labels;
  record.restart = request.restart;
  record.auto_remove = request.auto_remove;
  record.tty = request.run.tty;
  record.open_stdin = request.run.stdin_open;
  record.stop_timeout = request.stop_timeout;
  record.created_ns = unix_now_ns();
  record.cgroups_path = "/keel/" + record.id;
  record.snapshot_key = "container-" + record.id;
  record.bundle = dir + "/" + record.id;
  record.log_path = record.bundle + "/" + record.id + "-json.log";
  if (request.auto_remove && request.restart.name != "no")
    return Error::of(Errc::kInvalidArgument, "Conflicting options: --restart and --rm");
  auto signal = request.stop_signal.empty() ? stop_signal_of(image_config)
                                            : parse_signal(request.stop_signal);
  if (!signal)
    return std::move(signal).error();
  record.stop_signal = *signal;
  return record;
}

}  // namespace

Result<ContainerRecord> ContainerService::create(const CreateRequest& request) {
  auto& state = impl_->state;
  PhaseTimer timer("create", "");
  auto image = state.images.get(request.image);
  if (!image) {
    if (image.error().kind() == Errc::kNotFound)
      return Error::of(Errc::kNotFound, "No such image: " + request.image);
    return std::move(image).error();
  }
  auto image_config = parse_image_config(nlohmann::json::parse(image->config_json, nullptr, false)
                                             .value("config", nlohmann::json::object())
                                             .dump());
  if (!image_config)
    return std::move(image_config).error().context("image " + request.image);
  timer.lap("image");

  std::unique_lock lock(state.mutex);
  auto made = new_record(state, request, *image, *image_config,
                         (state.options.root / "containers").string());
  if (!made)
    return std::move(made).error();
  ContainerRecord& record = *made;
  const std::string& dir = record.bundle;
  // The name is ours until the record lands; the rest runs without the mutex, so creates of
  // different containers overlap.
  state.reserved_names.insert(record.name);
  lock.unlock();
  timer.set_id(record.id);
  timer.lap("record");
  ScopeGuard unreserve([&] {
    if (!lock.owns_lock())
      lock.lock();
    state.reserved_names.erase(record.name);
  });

  // Everything made from here on is undone unless the record lands.
  KEEL_TRY(fs::mkdir_all(dir, 0700));
  ScopeGuard cleanup([&] {
    state.unmount_rootfs(record.id);
    (void)state.snapshotter.remove(record.snapshot_key);
    (void)fs::remove_all(dir);
    for (const auto& volume : record.anonymous_volumes)
      (void)fs::remove_all(volume);
  });

  std::string parent;
  if (!image->config.diff_ids.empty())
    parent = images::chain_ids(image->config.diff_ids).back().str();
  auto mounts = [&] {
    // Deferred: the record's synced insert below makes it durable too. If a power cut drops it,
    // its directory is an orphan, which the snapshotter removes when it opens.
    const store::DeferredSync deferred(state.db);
    return state.snapshotter.prepare(record.snapshot_key, parent);
  }();
  if (!mounts)
    return std::move(mounts).error().context("preparing the container's filesystem");
  timer.lap("snapshot prepare");
  KEEL_TRY(state.mount_rootfs(record));
  timer.lap("mount");

  RunOptions run = request.run;
  KEEL_TRY(provision_volumes(state.options.root, *image_config, run, record.anonymous_volumes));

  SpecContext context;
  context.id = record.id;
  context.rootfs = state.rootfs_of(record.id);
  context.cgroups_path = record.cgroups_path;
  context.log_path = record.log_path;
  lock.lock();  // the ports checked against every other container's
  KEEL_TRY(prepare_network(state, *image_config, run, record, context));
  lock.unlock();
  auto spec = build_spec(*image_config, run, context);
  if (!spec)
    return std::move(spec).error();
  record.spec_json = oci::to_json(*spec);
  record.command = spec->process ? spec->process->args : std::vector<std::string>{};
  KEEL_TRY(fs::write_file_atomic(dir + "/config.json", record.spec_json, 0600));
  if (record.open_stdin)
    KEEL_TRY(make_fifo(dir + "/init-stdin"));
  KEEL_TRY(make_fifo(dir + "/init-stdout"));
  if (!record.tty)
    KEEL_TRY(make_fifo(dir + "/init-stderr"));

  timer.lap("spec and files");
  lock.lock();
  KEEL_TRY(state.store.insert(record));
  timer.lap("insert");
  cleanup.release();
  state.publish(record, "create");
  return record;
}

}  // namespace keel::manager::containers
