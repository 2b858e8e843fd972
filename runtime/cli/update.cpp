// `keel update [flags] ID`: runc's resource flags or -r FILE; behaviour in lifecycle/update.cpp.
#include "runtime/cli/globals.h"
#include "runtime/lifecycle/lifecycle.h"

namespace keel::cli {

void add_update(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand("update", "Update the resource limits of a container");
  auto o = std::make_shared<runtime::UpdateOptions>();
  cmd->add_option("container-id", o->id, "Container ID")->required();
  cmd->add_option("-r,--resources", o->resources_file,
                  "a linux.resources JSON file, '-' for stdin (the other flags are ignored)");
  cmd->add_option("--memory", o->memory, "memory limit in bytes (units: k, m, g)");
  cmd->add_option("--memory-reservation", o->memory_reservation, "memory soft limit in bytes");
  cmd->add_option("--memory-swap", o->memory_swap, "memory+swap limit in bytes, -1: unlimited");
  cmd->add_option("--kernel-memory", o->kernel_memory, "deprecated, ignored");
  cmd->add_option("--kernel-memory-tcp", o->kernel_memory_tcp, "deprecated, ignored");
  cmd->add_option("--cpu-share,--cpu-shares", o->cpu_shares, "CPU shares (relative weight)");
  cmd->add_option("--cpu-quota", o->cpu_quota, "CFS quota in microseconds per period");
  cmd->add_option("--cpu-period", o->cpu_period, "CFS period in microseconds");
  cmd->add_option("--cpu-rt-period", o->cpu_rt_period, "realtime period in microseconds");
  cmd->add_option("--cpu-rt-runtime", o->cpu_rt_runtime, "realtime runtime in microseconds");
  cmd->add_option("--cpuset-cpus", o->cpuset_cpus, "CPUs to use (0-3, 0,1)");
  cmd->add_option("--cpuset-mems", o->cpuset_mems, "memory nodes to use");
  cmd->add_option("--pids-limit", o->pids_limit, "maximum number of pids, -1: unlimited");
  cmd->add_option("--blkio-weight", o->blkio_weight, "block IO weight, 10 to 1000");
  cmd->callback([&g, o] {
    g.action = exits_zero([&g, o] { return runtime::update_container(g.store(), *o); });
  });
}

}  // namespace keel::cli
