// docker stats: one sample of a container's figures, from its shim's Stats, its interfaces'
// counters, and the host's CPU time that docker's CPU percentage divides by.
#include "manager/containers/container_service.h"
#include "manager/containers/container_service_impl.h"
#include "manager/containers/host_cpu.h"
#include "shimapi/metrics.h"

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
  // /proc/<init>/net/dev shows the init's namespace: the container's own, or for container:ID
  // the one it shares. A task that just ended has no file left, and no figures.
  if (record->network_mode != "host" && record->state.pid > 0)
    if (auto networks = network::read_net_dev(record->state.pid))
      sample.networks = std::move(*networks);
  // From the shim's Stats (containerd's cgroup metrics); a task that just ended has none.
  auto shim = impl_->state.shim_of(*record);
  auto stats = shim ? (*shim)->stats(record->id) : Result<TaskStats>(std::move(shim).error());
  auto figures = stats ? shimapi::figures_of_metrics(stats->type_url, stats->value)
                       : Result<shimapi::TaskFigures>(std::move(stats).error());
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
