// ContainerService's private half, shared by the files that implement its methods (lifecycle,
// create, exec, update, commit, stats, GC roots): the shared state and the task supervisor.
#pragma once

#include <memory>
#include <mutex>

#include "manager/containers/container_service.h"
#include "manager/containers/service_state.h"
#include "manager/containers/task_supervisor.h"

namespace keel::manager::containers {

struct ContainerService::Impl {
  Impl(const ServiceOptions& options, store::Database& db, images::ImageService& images,
       snapshots::Snapshotter& snapshotter, events::EventBus& bus, ContainerStore store,
       std::unique_ptr<ShimConnector> shims)
      : state(options, db, images, snapshotter, bus, std::move(store), std::move(shims)),
        supervisor(state, [this](ContainerRecord& record, bool volumes,
                                 std::unique_lock<std::mutex>& lock) {
          (void)remove_stopped(record, volumes, lock);
        }) {}

  // The rm of a container that is not running: its network, rootfs, snapshot, directory and
  // (with volumes) anonymous volumes go, and the record last. Mutex held (released for the
  // teardown), container claimed.
  [[nodiscard]] Result<void> remove_stopped(ContainerRecord& record, bool volumes,
                                            std::unique_lock<std::mutex>& lock);

  ServiceState state;
  TaskSupervisor supervisor;  // after state: its threads use it until stopped
};

}  // namespace keel::manager::containers
