// docker commit: the container's writable layer, exported as a tar on one thread and imported
// as an image layer on top of the container's image on this one.
#include <fcntl.h>
#include <unistd.h>

#include <thread>
#include <utility>

#include "common/scope_guard.h"
#include "common/unique_fd.h"
#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"
#include "manager/snapshots/layer_writer.h"

namespace keel::manager::containers {

Result<images::Image> ContainerService::commit(std::string_view id_or_name, const std::string& ref,
                                               const std::vector<std::string>& changes,
                                               const std::string& message,
                                               const std::string& author, bool pause_it) {
  auto& state = impl_->state;
  auto record = state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  // A container paused here is resumed on every way out, early errors included; on success
  // before the commit event, as docker orders them.
  bool paused_here = false;
  auto resume_once = [&] {
    if (std::exchange(paused_here, false))
      (void)resume(record->id);
  };
  const ScopeGuard resume_on_exit(resume_once);
  if (pause_it && record->state.status == Status::kRunning) {
    KEEL_TRY(pause(record->id));
    paused_here = true;
  }
  // The layer tar streams through a pipe from the exporting thread into the image service.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  Result<snapshots::LayerDigests> exported = Error::of(Errc::kInternal, "not exported");
  std::thread exporter([&, write = std::move(write_end)]() mutable {
    exported = snapshots::export_layer(state.snapshotter, record->snapshot_key,
                                       snapshots::write_to_fd(write.get()));
  });
  images::ImportOptions options;
  options.ref = ref;
  options.base = record->image_id;
  options.changes = changes;
  options.message = message;
  options.author = author;
  options.created_by = record->command.empty() ? "" : record->command.front();
  for (std::size_t i = 1; i < record->command.size(); ++i)
    options.created_by += " " + record->command[i];
  auto image = state.images.import_rootfs(images::fd_reader(read_end.get()), options);
  read_end.reset();
  exporter.join();
  resume_once();
  if (!exported)
    return std::move(exported).error().context("commit");
  if (!image)
    return std::move(image).error();
  state.publish(*record, "commit", {{"comment", message}});
  return image;
}

}  // namespace keel::manager::containers
