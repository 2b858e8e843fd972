// docker stats: one sample of a container's figures, read from its cgroup, and the host's CPU
// time that docker's CPU percentage divides by.
#include "manager/containers/cgroup_files.h"
#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"

namespace keel::manager::containers {

Result<StatsSample> ContainerService::stats(std::string_view id_or_name) {
  auto record = impl_->state.store.find(id_or_name);
  if (!record)
    return std::move(record).error();
  StatsSample sample;
  sample.system_cpu_ns = host_cpu_ns();
  sample.online_cpus = online_cpus();
  if (!is_live(record->state.status))
    return sample;
  auto figures = cgroup_figures(record->cgroups_path);
  if (!figures)
    return sample;
  sample.cpu_usage_ns = figures->cpu_usage_ns;
  sample.memory_usage = figures->memory_usage;
  sample.memory_limit = figures->memory_limit;
  sample.pids = figures->pids;
  sample.block_read = figures->block_read;
  sample.block_write = figures->block_write;
  return sample;
}

}  // namespace keel::manager::containers
