// docker update: live limits through the shim (the runtime's update) and in config.json for
// the next start, and the restart policy.
#include "common/fs.h"
#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"
#include "manager/containers/spec_edits.h"
#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {

Result<ContainerRecord> ContainerService::update(std::string_view id_or_name,
                                                 std::int64_t memory_bytes, std::int64_t milli_cpus,
                                                 std::int64_t pids_limit,
                                                 const std::optional<RestartPolicy>& restart) {
  auto& state = impl_->state;
  std::unique_lock lock(state.mutex);
  std::optional<ContainerOp> op;
  auto record = find_and_claim(state, id_or_name, lock, op);
  if (!record)
    return std::move(record).error();
  KEEL_TRY(state.store.load_spec(*record));  // the reply shows the limits in force
  const auto resources = resources_of(ResourceUpdate{
      .memory_bytes = memory_bytes, .milli_cpus = milli_cpus, .pids_limit = pids_limit});
  if (resources) {
    if (is_live(record->state.status)) {
      Unlocked unlocked(lock);
      auto shim = state.shims->connect(record->shim_address);
      if (!shim)
        return std::move(shim).error();
      KEEL_TRY((*shim)->update(record->id, resources_json(*resources)));
    }
    // The next start uses the new limits too.
    auto spec = oci::parse_config(record->spec_json);
    if (!spec)
      return std::move(spec).error().context("container " + record->id);
    apply_resources(*spec, *resources);
    record->spec_json = oci::to_json(*spec);
    KEEL_TRY(fs::write_file_atomic(record->bundle + "/config.json", record->spec_json, 0600));
    KEEL_TRY(state.store.update_spec(record->id, record->spec_json));
  }
  if (restart) {
    if (record->auto_remove && restart->name != "no")
      return Error::of(Errc::kInvalidArgument,
                       "Restart policy cannot be updated because AutoRemove is enabled");
    record->restart = *restart;
  }
  KEEL_TRY(state.save(*record));
  state.publish(*record, "update");
  return record;
}

}  // namespace keel::manager::containers
