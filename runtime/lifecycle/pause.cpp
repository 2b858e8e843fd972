// pause_container and resume_container: runc's `pause` and `resume` through the cgroup freezer.
// The freezer state is the container's "paused" status: nothing else records it.
#include "runtime/cgroups/manager.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::runtime {
namespace {

// The container's cgroup manager when its status is `want`, else the refusal naming the status.
Result<std::unique_ptr<cgroups::Manager>> manager_if(const StateStore& store, const std::string& id,
                                                     Status want, const char* verb) {
  auto dir = store.open(id);
  if (!dir)
    return dir.error();
  auto record = dir->load();
  if (!record)
    return record.error();
  const Status status = dir->status(*record);
  if (status != want)
    return Error::of(Errc::kFailedPrecondition, std::string("cannot ") + verb + " container \"" +
                                                    id + "\": it is " + status_name(status) +
                                                    ", not " + status_name(want));
  if (record->cgroup_paths.v1.empty() && record->cgroup_paths.unified.empty())
    return Error::of(Errc::kFailedPrecondition, std::string("cannot ") + verb + " container \"" +
                                                    id + "\": it has no cgroup (rootless)");
  return cgroups::open_manager(record->cgroup_paths);
}

}  // namespace

Result<void> pause_container(const StateStore& store, const std::string& id) {
  auto manager = manager_if(store, id, Status::kRunning, "pause");
  if (!manager)
    return manager.error();
  if (auto r = (*manager)->freeze(); !r)
    return std::move(r).error().context("pause \"" + id + "\"");
  return {};
}

Result<void> resume_container(const StateStore& store, const std::string& id) {
  auto manager = manager_if(store, id, Status::kPaused, "resume");
  if (!manager)
    return manager.error();
  if (auto r = (*manager)->thaw(); !r)
    return std::move(r).error().context("resume \"" + id + "\"");
  return {};
}

}  // namespace keel::runtime
