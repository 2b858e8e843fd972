// docker exec: a process added to a running container's task through its shim, its stdio on
// fifos in the container's directory, started once the caller reads them, then waited for
// (or reaped by the task supervisor when detached).
#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"
#include "manager/containers/spec_edits.h"
#include "manager/containers/user_lookup.h"
#include "oci-spec/runtime_config.h"

namespace keel::manager::containers {

Result<ExecHandle> ContainerService::exec(std::string_view id_or_name, const ExecRequest& request) {
  auto& state = impl_->state;
  auto record = state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  if (record->state.status == Status::kPaused)
    return Error::of(Errc::kFailedPrecondition,
                     "Container " + record->id + " is paused, unpause the container before exec");
  auto shim = state.shim_of(*record);
  if (!shim)
    return std::move(shim).error();
  if (request.cmd.empty())
    return Error::of(Errc::kInvalidArgument, "No exec command specified");

  // The exec'd process runs with the container's own process settings but its own command.
  KEEL_TRY(state.store.load_spec(*record));
  auto spec = oci::parse_config(record->spec_json);
  if (!spec || !spec->process)
    return Error::of(Errc::kInternal, "container " + record->id + " has no process in its spec");
  std::optional<ResolvedUser> user;
  if (!request.user.empty()) {
    auto resolved = resolve_user(state.rootfs_of(record->id), request.user);
    if (!resolved)
      return std::move(resolved).error();
    user = std::move(*resolved);
  }
  const oci::Process process = exec_process(*spec->process, request, user);

  ExecHandle handle;
  handle.container_id = record->id;
  handle.exec_id = new_container_id().substr(0, 16);
  const std::string prefix = state.dir_of(record->id) + "/exec-" + handle.exec_id;
  handle.stdio = ProcessStdio{.stdin_path = request.attach_stdin ? prefix + "-stdin" : "",
                              .stdout_path = prefix + "-stdout",
                              .stderr_path = request.tty ? "" : prefix + "-stderr",
                              .terminal = request.tty};
  for (const auto* path :
       {&handle.stdio.stdin_path, &handle.stdio.stdout_path, &handle.stdio.stderr_path})
    if (!path->empty())
      KEEL_TRY(make_fifo(*path));
  TaskStdio stdio{.stdin_path = handle.stdio.stdin_path,
                  .stdout_path = handle.stdio.stdout_path,
                  .stderr_path = handle.stdio.stderr_path,
                  .terminal = request.tty};
  if (auto added = (*shim)->exec(record->id, handle.exec_id, stdio, process_json(process));
      !added) {
    remove_fifos(handle.stdio);
    return std::move(added).error();
  }
  handle.pid = 0;
  return handle;
}

Result<void> ContainerService::start_exec(ExecHandle& handle) {
  auto& state = impl_->state;
  auto record = state.store.find(handle.container_id);
  if (!record)
    return std::move(record).error();
  auto shim = state.shim_of(*record);
  if (!shim)
    return std::move(shim).error();
  auto pid = (*shim)->start(record->id, handle.exec_id);
  if (!pid) {
    (void)(*shim)->remove(record->id, handle.exec_id);
    return std::move(pid).error();
  }
  handle.pid = *pid;
  state.publish(*record, "exec_start", {{"execID", handle.exec_id}});
  return {};
}

Result<int> ContainerService::wait_exec(const ExecHandle& handle) {
  auto record = impl_->state.store.find(handle.container_id);
  if (!record)
    return std::move(record).error();
  auto shim = impl_->state.shims->connect(record->shim_address);
  if (!shim)
    return std::move(shim).error();
  auto exit = (*shim)->wait(record->id, handle.exec_id);
  (void)(*shim)->remove(record->id, handle.exec_id);
  remove_fifos(handle.stdio);
  if (!exit)
    return std::move(exit).error();
  return exit->exit_status;
}

Result<void> ContainerService::detach_exec(const ExecHandle& handle) {
  std::unique_lock lock(impl_->state.mutex);
  auto record = impl_->state.store.find(handle.container_id);
  if (!record)
    return std::move(record).error();
  impl_->supervisor.reap_exec(handle, record->shim_address);
  return {};
}

}  // namespace keel::manager::containers
